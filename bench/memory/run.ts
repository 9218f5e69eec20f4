// The Worker isolate's JavaScript heap under load, read through wrangler dev's inspector
// (Runtime.getHeapUsage after HeapProfiler.collectGarbage), next to the processes' RSS:
// (a) full B4 replays, each on a new document, heap with the document connected and after its
//     object is evicted, with per-slice throughput and CPU so a cost that grows with history shows;
// (b) 1,000 small documents with one client each, connected and then hibernated;
// (c) one awake B4 document: heap with and without it loaded.
// `npm run bench:memory`, or `node bench/memory/run.ts`; settings in bench/memory/README.md.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { fmt, int, mib, table } from "../throughput/report.ts";
import { ROOT } from "../throughput/targets.ts";
import { loadB4 } from "../throughput/trace.ts";
import { AckClient, closeAll, inBatches, openMany } from "./docs.ts";
import { compare, type GroupDelta, type HeapSummary, instances, largest, summarize } from "./heapSnapshot.ts";
import type { HeapUsage } from "./inspector.ts";
import { checkText, type Replay, replay } from "./replay.ts";
import { byRole, type ProcessSample, type QuireServer, startQuire } from "./server.ts";
import { slope, type SlopeSlice } from "./slope.ts";

const env = process.env;
const num = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
const config = {
  rounds: num("MEMORY_ROUNDS", 3),
  b4Patches: env.MEMORY_B4_PATCHES === undefined || env.MEMORY_B4_PATCHES === "all" ? Infinity : Number(env.MEMORY_B4_PATCHES),
  window: num("MEMORY_WINDOW", 1000),
  slices: num("MEMORY_SLICES", 10),
  docs: num("MEMORY_DOCS", 1000),
  idleMs: num("MEMORY_IDLE_MS", 15_000),
  evictTimeoutMs: num("MEMORY_EVICT_TIMEOUT_MS", 120_000),
  snapshots: env.MEMORY_SNAPSHOTS !== "0",
  profile: env.MEMORY_PROFILE === "1",
  via: (env.MEMORY_VIA ?? "direct") as "direct" | "wrangler",
  localObservability: env.MEMORY_LOCAL_OBSERVABILITY === "1",
  /** Another wrangler configuration, e.g. with other compaction settings (paths in it are relative to it). */
  wranglerConfig: env.MEMORY_WRANGLER_CONFIG ? resolve(env.MEMORY_WRANGLER_CONFIG) : undefined,
  scenarios: (env.MEMORY_SCENARIOS ?? "rounds,awake,ops,docs,slope").split(","),
  opReps: num("MEMORY_OP_REPS", 20),
};
/**
 * Constructors whose instance counts tell which documents and sockets the isolate holds. One
 * DocumentRoom per live document object (the object itself does not appear under its class name).
 */
const WATCH = ["DocumentRoom", "Doc", "SocketConnection", "Item", "ContentString", "ContentDeleted"];

const admin = { Authorization: "Bearer dev-admin-token" };
const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface Point {
  label: string;
  heap: HeapUsage;
  /** The local observability collector's isolate heap after GC, when it runs. */
  collectorHeap?: HeapUsage;
  processes: ProcessSample[];
  disk: Record<string, number>;
  instances?: Record<string, number>;
  summary?: HeapSummary;
}

const workerCpu = (server: QuireServer) => byRole(server.processes())["worker-workerd"]?.cpuSeconds ?? 0;

/** Heap after a forced GC, the processes' RSS, and (optionally) a heap snapshot summary. */
async function measure(server: QuireServer, label: string, snapshot = config.snapshots): Promise<Point> {
  // RSS first: taking a heap snapshot grows workerd's RSS by the snapshot's serialization buffers.
  const processes = server.processes();
  const disk = server.diskBytes();
  const heap = await server.inspector.heapAfterGc(server.poke);
  const point: Point = { label, heap, processes, disk };
  if (server.collector) point.collectorHeap = await server.collector.heapAfterGc(server.poke);
  if (snapshot) {
    point.summary = summarize(await server.inspector.heapSnapshot(server.poke));
    point.instances = instances(point.summary, WATCH);
  }
  const collector = point.collectorHeap ? `; observability collector heap ${mib(point.collectorHeap.usedSize)}` : "";
  log(`  ${label}: heap ${mib(heap.usedSize)} (+ ${mib(heap.backingStorageSize)} ArrayBuffers)${collector}${point.instances ? `, ${JSON.stringify(point.instances)}` : ""}`);
  return point;
}

/**
 * Waits `idleMs` for the platform to evict idle objects, then measures, repeating while the heap
 * still holds document objects (an alarm may wake one meanwhile), up to `evictTimeoutMs`.
 */
async function afterEviction(server: QuireServer, label: string): Promise<Point> {
  const deadline = Date.now() + config.evictTimeoutMs;
  await sleep(config.idleMs);
  for (;;) {
    const point = await measure(server, label);
    if (!point.instances || point.instances.DocumentRoom === 0 || Date.now() > deadline) return point;
    await sleep(5_000);
  }
}

/** A round: its replay's figures (without the live clients and end mark), and what followed it. */
interface RoundResult extends Pick<Replay, "doc" | "updates" | "ms" | "updatesPerSecond" | "slices" | "profile"> {
  round: number;
  /** The alarm's deferred work (index sync, compaction of the whole replay's log) once the stream stopped. */
  catchUp: CatchUp | null;
  connected: Point;
  evicted: Point;
}

interface CatchUp {
  /** From the last update's relay until a snapshot covered all of it. */
  ms: number;
  /** workerd (Worker) CPU meanwhile. */
  cpuSeconds: number;
  /** The log sequence numbers the document's snapshots cover (retention keeps the newest 20): when compaction ran. */
  snapshotSeqs: number[];
}

/**
 * Waits until the document's newest snapshot covers `seq`: a steady stream holds the alarm off, so
 * the compaction of the whole replay (and the index sync) runs once the stream stops.
 */
async function awaitCompaction(server: QuireServer, doc: string, seq: number, since: Replay["end"], timeoutMs = 60_000): Promise<CatchUp | null> {
  const [cpu0, t0] = [since.workerCpuSeconds, since.at];
  for (;;) {
    const response = await fetch(`${server.directUrl}/v1/docs/${doc}/snapshots`, { headers: admin });
    const { snapshots } = (await response.json()) as { snapshots?: { seq: number }[] };
    if ((snapshots?.[0]?.seq ?? 0) >= seq) return { ms: performance.now() - t0, cpuSeconds: workerCpu(server) - cpu0, snapshotSeqs: snapshots!.map((s) => s.seq).reverse() };
    if (performance.now() - t0 > timeoutMs) return null;
    await sleep(200);
  }
}

async function rounds(server: QuireServer, stamp: string, trace: ReturnType<typeof loadB4>["replay"]): Promise<RoundResult[]> {
  const results: RoundResult[] = [];
  for (let r = 1; r <= config.rounds; r++) {
    const doc = `memory-${stamp}-b4-r${r}`;
    log(`round ${r}/${config.rounds}: B4 replay of ${int(trace.updates.length)} updates on ${doc}`);
    const run = await replay(server, doc, trace, { window: config.window, slices: config.slices, profile: config.profile && r === 1 });
    log(`  ${fmt(run.ms / 1000, 1)} s, ${int(run.updatesPerSecond)} updates/s; per slice: ${run.slices.map((s) => int(s.updatesPerSecond)).join(" ")}`);
    const catchUp = await awaitCompaction(server, doc, run.updates, run.end);
    if (catchUp) log(`  a snapshot covered the whole replay ${fmt(catchUp.ms / 1000, 1)} s after its last update; workerd CPU meanwhile ${fmt(catchUp.cpuSeconds, 2)} s (with a client joining to check the text); snapshots at seq ${catchUp.snapshotSeqs.map(int).join(", ")}`);
    else log("  no snapshot covered the whole replay within 60 s of its end");
    let connected: Point;
    try {
      connected = await measure(server, `round ${r}, document connected`);
    } finally {
      for (const client of run.clients) client.close();
    }
    const evicted = await afterEviction(server, `round ${r}, after eviction`);
    results.push({ round: r, doc, updates: run.updates, ms: run.ms, updatesPerSecond: run.updatesPerSecond, slices: run.slices, profile: run.profile, catchUp, connected, evicted });
  }
  return results;
}

interface AwakeResult {
  doc: string;
  without: Point;
  with: Point;
  deltaBytes: number;
  top?: GroupDelta[];
}

/** One B4 document loaded from storage (snapshot + log) by a connecting client: heap with vs without it. */
async function awake(server: QuireServer, doc: string, expected: string): Promise<AwakeResult> {
  log(`awake B4 document: ${doc}`);
  const without = await afterEviction(server, "no document loaded");
  const { connect } = await import("../throughput/client.ts");
  const holder = await connect({ url: `${server.wsBase}/ws/${doc}?token=${await server.token(doc)}`, dialect: "y-websocket", docName: doc });
  try {
    await checkText(server, doc, expected);
    const loaded = await measure(server, "B4 document loaded, one client connected");
    return {
      doc,
      without,
      with: loaded,
      deltaBytes: loaded.heap.usedSize - without.heap.usedSize,
      top: without.summary && loaded.summary ? compare(without.summary, loaded.summary, 12) : undefined,
    };
  } finally {
    holder.close();
  }
}

interface OpCost {
  doc: string;
  chars: number;
  op: string;
  reps: number;
  /** workerd (Worker) CPU per operation, ms (from /proc, 10 ms ticks summed over the reps). */
  cpuMs: number;
  wallMs: number;
}

/**
 * What the operations whose cost depends on the document's size cost, on a small document and on
 * the B4 one: an edit, the index record after an edit (which encodes the whole document to measure
 * it), the same with nothing new, and a compaction after an edit.
 */
async function opCosts(server: QuireServer, docs: { doc: string; chars: number }[]): Promise<OpCost[]> {
  const costs: OpCost[] = [];
  const worker = () => byRole(server.processes())["worker-workerd"]?.cpuSeconds ?? 0;
  const request = async (method: string, path: string) => {
    const response = await fetch(`${server.directUrl}${path}`, { method, headers: admin });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  };
  for (const { doc, chars } of docs) {
    const client = await AckClient.open(server, doc);
    try {
      await client.write("warm");
      await request("GET", `/v1/docs/${doc}`);
      const ops: [string, (() => Promise<void>) | null, () => Promise<void>][] = [
        ["edit: one update, stored and acked", null, () => client.write("x")],
        ["index record, nothing new since the last", null, () => request("GET", `/v1/docs/${doc}`)],
        ["index record after an edit (encodes the document)", () => client.write("y"), () => request("GET", `/v1/docs/${doc}`)],
        ["compaction after an edit (POST snapshots)", () => client.write("z"), () => request("POST", `/v1/docs/${doc}/snapshots`)],
      ];
      for (const [op, before, run] of ops) {
        let cpu = 0;
        let wall = 0;
        for (let i = 0; i < config.opReps; i++) {
          await before?.();
          const [c0, t0] = [worker(), performance.now()];
          await run();
          [cpu, wall] = [cpu + worker() - c0, wall + performance.now() - t0];
        }
        costs.push({ doc, chars, op, reps: config.opReps, cpuMs: (cpu / config.opReps) * 1000, wallMs: wall / config.opReps });
        log(`  ${op}, ${int(chars)} chars: ${fmt((cpu / config.opReps) * 1000, 1)} ms CPU, ${fmt(wall / config.opReps, 1)} ms wall`);
      }
    } finally {
      await client.close();
    }
  }
  return costs;
}

interface DocsResult {
  count: number;
  openMs: number;
  before: Point;
  connected: Point;
  hibernated: Point;
  closed: Point;
  topConnected?: GroupDelta[];
  topHibernated?: GroupDelta[];
}

async function manyDocs(server: QuireServer, stamp: string): Promise<DocsResult> {
  log(`${int(config.docs)} documents, one client each`);
  const before = await afterEviction(server, "before");
  const names = Array.from({ length: config.docs }, (_, i) => `memory-${stamp}-small-${i}`);
  for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((name) => server.token(name)));
  const started = performance.now();
  const sockets = await openMany(server, names, 25);
  const openMs = performance.now() - started;
  log(`  opened and wrote ${int(sockets.length)} documents in ${fmt(openMs / 1000, 1)} s`);
  try {
    // Opening takes longer than the 10 s after which an idle object is evicted: wake them all again.
    const touchStarted = performance.now();
    await inBatches(sockets, 100, (client) => client.touch());
    log(`  touched every document (sync step 1 and its answer) in ${fmt((performance.now() - touchStarted) / 1000, 1)} s`);
    const connected = await measure(server, `${config.docs} documents connected`);
    const hibernated = await afterEviction(server, `${config.docs} documents hibernated, sockets open`);
    await closeAll(sockets);
    const closed = await afterEviction(server, "sockets closed");
    return {
      count: sockets.length,
      openMs,
      before,
      connected,
      hibernated,
      closed,
      topConnected: before.summary && connected.summary ? compare(before.summary, connected.summary, 12) : undefined,
      topHibernated: before.summary && hibernated.summary ? compare(before.summary, hibernated.summary, 8) : undefined,
    };
  } finally {
    await closeAll(sockets);
  }
}

async function main(): Promise<void> {
  // Local observability (on by default in wrangler dev) records every invocation in a store inside
  // the Worker's workerd process; it is not part of Quire, and costs more CPU per update than Quire.
  process.env.X_LOCAL_OBSERVABILITY = config.localObservability ? "true" : "false";
  log(`config: ${JSON.stringify(config)}`);
  const started = performance.now();
  const { replay: trace } = loadB4(config.b4Patches);
  log(`B4: ${int(trace.updates.length)} of ${int(trace.tracePatches)} patches as updates, ${int(trace.expected.length)} chars at the end`);
  const server = await startQuire(config.via, config.wranglerConfig);
  const stop = (code: number) => () => void server.stop().finally(() => process.exit(code));
  process.once("SIGINT", stop(130));
  process.once("SIGTERM", stop(143));
  process.once("uncaughtException", (error) => (console.error(error), stop(1)()));
  process.once("unhandledRejection", (error) => (console.error(error), stop(1)()));
  const stamp = Date.now().toString(36);
  const result: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, config: { ...config, b4Patches: trace.updates.length } };
  try {
    result.start = await measure(server, "start, nothing loaded");
    let roundResults: RoundResult[] = [];
    if (config.scenarios.includes("rounds")) result.rounds = roundResults = await rounds(server, stamp, trace);
    if (config.scenarios.includes("awake") && roundResults.length > 0) result.awake = await awake(server, roundResults.at(-1)!.doc, trace.expected);
    if (config.scenarios.includes("ops")) {
      log("operations whose cost may grow with the document");
      const small = `memory-${stamp}-ops-small`;
      const docs = [{ doc: small, chars: 0 }];
      if (roundResults.length > 0) docs.push({ doc: roundResults.at(-1)!.doc, chars: trace.expected.length });
      result.ops = await opCosts(server, docs);
    }
    if (config.scenarios.includes("docs")) result.docs = await manyDocs(server, stamp);
    result.end = await measure(server, "end");
  } finally {
    await server.stop();
  }
  if (config.scenarios.includes("slope")) {
    log("Quire's own work per update by slice of history (bench/perUpdate's worker, one event per slice)");
    result.slope = await slope(trace, config.slices);
  }
  result.seconds = (performance.now() - started) / 1000;
  report(result);
}

const row = (p: Point) => {
  const roles = byRole(p.processes);
  const worker = roles["worker-workerd"];
  const disk = `${mib(p.disk.do ?? 0)} / ${mib(p.disk.observability ?? 0)}`;
  return [mib(p.heap.usedSize), mib(p.heap.backingStorageSize), `${mib(worker?.rssBytes ?? 0)} (${mib(worker?.anonBytes ?? 0)})`, mib(roles["proxy-workerd"]?.rssBytes ?? 0), mib(roles.wrangler?.rssBytes ?? 0), disk];
};
const deltaRows = (rows: GroupDelta[]) => rows.map((d) => [d.group, int(d.count), (d.countDelta >= 0 ? "+" : "") + int(d.countDelta), mib(d.bytes), `${d.bytesDelta >= 0 ? "+" : "-"}${(Math.abs(d.bytesDelta) / 1024).toFixed(0)} KiB`]);
const DELTA_HEADER = ["constructor (type:name)", "count", "change", "self size", "change"];

function report(result: Record<string, unknown>): void {
  const start = result.start as Point;
  const roundResults = (result.rounds ?? []) as RoundResult[];
  const points: Point[] = [start, ...roundResults.flatMap((r) => [r.connected, r.evicted])];
  const awakeResult = result.awake as AwakeResult | undefined;
  const docsResult = result.docs as DocsResult | undefined;
  if (awakeResult) points.push(awakeResult.with);
  if (docsResult) points.push(docsResult.before, docsResult.connected, docsResult.hibernated, docsResult.closed);
  log("");
  log(table("1. Worker isolate heap after forced GC, and process RSS", ["when", "JS heap", "ArrayBuffers", "workerd (Worker) RSS (anon)", "workerd (proxy) RSS", "wrangler Node RSS", "disk: objects / observability"], points.map((p) => [p.label, ...row(p)])));
  if (config.snapshots) log("   RSS after the first heap snapshot includes workerd's buffers for taking it (about 100 MiB); for RSS figures run with MEMORY_SNAPSHOTS=0.");

  if (roundResults.length > 0) {
    const first = roundResults[0];
    const last = roundResults.at(-1)!;
    log(`   heap after eviction, round ${last.round} vs round ${first.round}: ${last.evicted.heap.usedSize - first.evicted.heap.usedSize >= 0 ? "+" : ""}${int((last.evicted.heap.usedSize - first.evicted.heap.usedSize) / 1024)} KiB`);
    const sliceRows = first.slices.map((s, i) => [
      `${int(i === 0 ? 0 : first.slices[i - 1].through)}-${int(s.through)}`,
      ...roundResults.map((r) => int(r.slices[i].updatesPerSecond)),
      ...roundResults.map((r) => fmt(r.slices[i].cpuMicros["worker-workerd"] ?? Number.NaN, 0)),
      ...roundResults.map((r) => fmt(r.slices[i].machineCores, 1)),
    ]);
    const names = (what: string) => roundResults.map((r) => `${what} r${r.round}`);
    log("");
    log(table("2. B4 replay per slice: updates/s, workerd (Worker) CPU per update (us), machine CPU in use (cores, all processes)", ["updates", ...names("upd/s"), ...names("CPU us"), ...names("cores")], sliceRows));
    log(`   whole replay: ${roundResults.map((r) => `round ${r.round} ${int(r.updatesPerSecond)} updates/s`).join(", ")}`);
    log(`   compaction of each replay's log once the stream stopped (the alarm waits for a pause): ${roundResults.map((r) => (r.catchUp ? `${fmt(r.catchUp.ms / 1000, 1)} s, ${fmt(r.catchUp.cpuSeconds, 2)} s CPU` : "none")).join("; ")}`);
    if (first !== last && first.evicted.summary && last.evicted.summary) {
      log("");
      log(table(`3. Heap growth between round ${first.round} and round ${last.round}, after eviction (largest changes)`, DELTA_HEADER, deltaRows(compare(first.evicted.summary, last.evicted.summary, 12))));
    }
    const profiled = roundResults.find((r) => r.profile);
    if (profiled?.profile) {
      const p = profiled.profile;
      const per = (ms: number) => fmt((ms * 1000) / profiled.updates, 1);
      log("");
      log(table(`Profile of round ${profiled.round} (sampled wall time while the isolate ran, per update; isolate busy ${fmt(p.busyShare * 100, 0)}%)`, ["function", "us/update"], p.self.slice(0, 20).map((f) => [f.fn, per(f.ms)])));
      log(`   inclusive: ${Object.entries(p.inclusive).filter(([, ms]) => ms > 0).map(([fn, ms]) => `${fn} ${per(ms)}`).join(", ")}`);
    }
  }
  if (awakeResult) {
    log("");
    log(`4. One awake B4 document (loaded from storage, one client): heap +${mib(awakeResult.deltaBytes)}`);
    const replayed = roundResults.at(-1);
    if (replayed) log(`   the same document right after its replay (two clients), vs evicted: +${mib(replayed.connected.heap.usedSize - replayed.evicted.heap.usedSize)}`);
    if (awakeResult.top) log(table("   largest changes, loaded vs not loaded", DELTA_HEADER, deltaRows(awakeResult.top)));
  }
  const slopeResult = result.slope as SlopeSlice[] | undefined;
  if (slopeResult) {
    log("");
    log(table("6. Quire's own work per update by slice of history: the room path in workerd, one event per slice (no sockets, one commit)", ["updates", "wall us/update", "CPU us/update"], slopeResult.map((s, i) => [`${int(i === 0 ? 0 : slopeResult[i - 1].through)}-${int(s.through)}`, fmt(s.wallMicros, 1), fmt(s.cpuMicros, 1)])));
  }
  const ops = result.ops as OpCost[] | undefined;
  if (ops) {
    log("");
    log(table(`Operations, workerd (Worker) CPU per operation (mean of ${config.opReps}; /proc counts 10 ms ticks)`, ["operation", "document", "CPU ms", "wall ms"], ops.map((o) => [o.op, o.chars ? `B4, ${int(o.chars)} chars` : "small", fmt(o.cpuMs, 2), fmt(o.wallMs, 1)])));
  }
  if (docsResult) {
    const per = (p: Point) => `${fmt((p.heap.usedSize - docsResult.before.heap.usedSize) / docsResult.count / 1024, 1)} KiB`;
    const awakeRooms = docsResult.connected.instances?.DocumentRoom;
    const perAwake = awakeRooms ? `${fmt((docsResult.connected.heap.usedSize - docsResult.before.heap.usedSize) / awakeRooms / 1024, 1)} KiB per awake object (${int(awakeRooms)} awake)` : "";
    const rss = (p: Point) => byRole(p.processes)["worker-workerd"]?.rssBytes ?? 0;
    const perRss = (p: Point) => `${fmt((rss(p) - rss(docsResult.before)) / docsResult.count / 1024, 1)} KiB`;
    const files = (p: Point) => int(p.processes.reduce((n, s) => n + s.sqliteFiles, 0));
    log("");
    log(table(`5. ${int(docsResult.count)} documents, one client each (opened in ${fmt(docsResult.openMs / 1000, 1)} s): per document, vs before`, ["state", "JS heap per doc", "workerd RSS per doc", "open SQLite files"], [
      ["before", "", "", files(docsResult.before)],
      ["connected, objects awake", `${per(docsResult.connected)}${perAwake ? `; ${perAwake}` : ""}`, perRss(docsResult.connected), files(docsResult.connected)],
      ["hibernated, sockets open", per(docsResult.hibernated), perRss(docsResult.hibernated), files(docsResult.hibernated)],
      ["sockets closed", per(docsResult.closed), perRss(docsResult.closed), files(docsResult.closed)],
    ]));
    if (docsResult.topConnected) log(table("   largest changes, connected vs before", DELTA_HEADER, deltaRows(docsResult.topConnected)));
    if (docsResult.topHibernated) log(table("   largest changes, hibernated vs before", DELTA_HEADER, deltaRows(docsResult.topHibernated)));
  }
  const end = result.end as Point | undefined;
  if (end?.summary) {
    log("");
    log(table("Largest groups in the heap at the end", ["constructor (type:name)", "count", "self size"], largest(end.summary, 10).map((g) => [g.group, int(g.count), mib(g.bytes)])));
  }
  log(`\n(${fmt(Number(result.seconds ?? 0), 0)} s; ${cpus().length} cores shared with other work: CPU per update is the steadier figure, updates/s varies with load.)`);

  // Summaries are large; the file keeps their top groups only.
  const strip = (p: Point | undefined) => p && { ...p, summary: p.summary && { totalBytes: p.summary.totalBytes, nodes: p.summary.nodes, top: largest(p.summary, 25) } };
  const out = {
    ...result,
    start: strip(start),
    end: strip(end),
    rounds: roundResults.map((r) => ({ ...r, connected: strip(r.connected), evicted: strip(r.evicted) })),
    awake: awakeResult && { ...awakeResult, with: strip(awakeResult.with), without: strip(awakeResult.without) },
    docs: docsResult && { ...docsResult, before: strip(docsResult.before), connected: strip(docsResult.connected), hibernated: strip(docsResult.hibernated), closed: strip(docsResult.closed) },
  };
  const dir = join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "memory.json");
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  log(`results: ${file}`);
}

await main();
