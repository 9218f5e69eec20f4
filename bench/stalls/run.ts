// Where the tail of relay latency comes from: the fan-out (50 readers) and crowd scenarios of
// bench/throughput, run against Quire straight to workerd while V8's sampling profiler watches the
// Worker's isolate, each run printed beside the garbage-collection pauses the profile saw in it.
// The median is the commit each relay waits for; a run's p99 and max follow its longest pauses.
// V8's own GC trace adds each pause's kind and what it freed. A last crowd run samples allocations
// instead, to show where that garbage comes from, and a stream of deliveries to open sockets checks
// that it is garbage: the heap after a full GC stays flat.
// `node bench/stalls/run.ts` (about 3 min): BENCH_STALLS_FANOUT_RUNS (default 4) fan-out runs,
// BENCH_STALLS_CROWD_RUNS (default 1) crowd runs.
import * as Y from "yjs";
import { startAllocationProfile } from "../memory/allocationProfile.ts";
import { startProfile } from "../memory/cpuProfile.ts";
import { startQuire } from "../memory/server.ts";
import { connect } from "../throughput/client.ts";
import type { LatencySummary } from "../throughput/latency.ts";
import { mib, ms, table } from "../throughput/report.ts";
import { closeAll, connectMany } from "../throughput/scenarios/connectMany.ts";
import { crowd } from "../throughput/scenarios/crowd.ts";
import { fanOut } from "../throughput/scenarios/fanOut.ts";
import { tokenPerConnection } from "../throughput/servers/quire.ts";
import type { Target } from "../throughput/targets.ts";
import { appendUpdates } from "../throughput/trace.ts";
import { summarize, traceGc } from "./gcTrace.ts";

const FANOUT_RUNS = Number(process.env.BENCH_STALLS_FANOUT_RUNS ?? 4);
const CROWD_RUNS = Number(process.env.BENCH_STALLS_CROWD_RUNS ?? 1);
/** The throughput benchmark's defaults (bench/throughput/config.ts). */
const FANOUT = { readers: 50, rate: 50, seconds: 5 };
const CROWD = { clients: 100, intervalMs: 500, seconds: 30, settleMs: 60_000 };
/** Fine enough to see a pause of a millisecond. */
const SAMPLE_INTERVAL_US = 200;

const gcTrace = traceGc();
const server = await startQuire("direct");
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void server.stop().then(() => process.exit(130)));

// A user of its own for every connection, as the throughput benchmark does, so per-user limits do not apply.
const token = tokenPerConnection(server.directUrl);
const target: Target = {
  key: "quire-direct",
  name: "Quire (direct to workerd)",
  dialect: "y-websocket",
  durability: "",
  url: async (docName) => `${server.wsBase}/ws/${docName}?token=${await token(docName)}`,
  memory: () => ({ serverBytes: 0, covers: "" }),
  cpuSeconds: () => 0,
  stop: async () => undefined,
};

const appends = appendUpdates(FANOUT.rate * FANOUT.seconds);
const runs: { name: string; run: (docName: string) => Promise<LatencySummary> }[] = [
  ...Array.from({ length: FANOUT_RUNS }, (_, i) => ({ name: `fan-out ${FANOUT.readers} #${i + 1}`, run: (doc: string) => fanOut(target, doc, FANOUT.readers, FANOUT.rate, appends) })),
  ...Array.from({ length: CROWD_RUNS }, (_, i) => ({ name: `crowd ${CROWD.clients} #${i + 1}`, run: async (doc: string) => (await crowd(target, doc, CROWD)).observer })),
];

/** Live heap (after a full GC) before and after `bursts` of 1,000 updates to FANOUT.readers open sockets. */
async function liveHeapAcrossDeliveries(bursts: number): Promise<{ deliveries: number; before: number; after: number[] }> {
  const docName = `stalls-${Date.now()}-live`;
  const updates = appendUpdates(bursts * 1000);
  let delivered = 0;
  const countDelivered = (update: Uint8Array) => {
    const meta = Y.parseUpdateMeta(update);
    for (const [client, to] of meta.to) delivered += to - (meta.from.get(client) ?? 0);
  };
  const readers = await connectMany(FANOUT.readers, async () => ({ url: await target.url(docName), dialect: target.dialect, docName, onUpdate: countDelivered }));
  const writer = await connect({ url: await target.url(docName), dialect: target.dialect, docName });
  try {
    const liveHeap = async () => (await server.inspector.heapAfterGc(server.poke)).usedSize;
    const before = await liveHeap();
    const after: number[] = [];
    for (let burst = 0; burst < bursts; burst++) {
      for (let k = burst * 1000; k < (burst + 1) * 1000; k++) {
        writer.sendFrame(writer.codec.update(updates.updates[k]));
        if (k % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const expected = (burst + 1) * 1000 * FANOUT.readers;
      const deadline = Date.now() + 60_000;
      while (delivered < expected) {
        if (Date.now() > deadline) throw new Error(`live heap: ${delivered} of ${expected} deliveries arrived`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      after.push(await liveHeap());
    }
    return { deliveries: delivered, before, after };
  } finally {
    closeAll([writer, ...readers]);
  }
}

const measured: { name: string; latency: LatencySummary; gcPauses: number[]; heapUsed: number; fromMs: number; toMs: number }[] = [];
let allocations = "";
let live = "";
try {
  const anchorStarted = Date.now();
  await server.inspector.collectGarbage(server.poke);
  gcTrace.anchor(anchorStarted, Date.now());
  for (const [i, { name, run }] of runs.entries()) {
    const profiler = await startProfile(server.inspector, SAMPLE_INTERVAL_US);
    const fromMs = Date.now();
    const latency = await run(`stalls-${Date.now()}-${i}`);
    const toMs = Date.now();
    const { gcPauses } = await profiler.stop([]);
    measured.push({ name, latency, gcPauses, heapUsed: (await server.inspector.heapUsage()).usedSize, fromMs, toMs });
    process.stdout.write(`${name}: p99 ${ms(latency.p99)} ms, longest GC pause ${ms(gcPauses[0] ?? 0)} ms\n`);
  }
  const sampler = await startAllocationProfile(server.inspector);
  const { sent } = await crowd(target, `stalls-${Date.now()}-allocations`, CROWD);
  const { bytes, byFunction } = await sampler.stop();
  const share = (b: number) => `${((100 * b) / bytes).toFixed(0)}%`;
  allocations = table(
    `Allocated in the isolate during a crowd run: ${mib(bytes)}, ${(bytes / sent / 1024).toFixed(1)} KiB per keystroke (functions by bytes; a native call's bytes count toward its JS caller)`,
    ["function", "allocated", "share"],
    byFunction.slice(0, 12).map((f) => [f.fn, mib(f.bytes), share(f.bytes)]),
  );
  const { deliveries, before, after } = await liveHeapAcrossDeliveries(4);
  live = `Live heap after a full GC, ${FANOUT.readers} sockets open: ${mib(before)} before, then ${after.map(mib).join(", ")} after each 1,000 updates (${deliveries.toLocaleString("en-US")} deliveries in all)`;
} finally {
  await server.stop();
}
// Read once the server has stopped, when workerd has written out every line of its trace.
const rows = measured.map(({ name, latency, gcPauses, heapUsed, fromMs, toMs }) => {
  const gc = summarize(gcTrace.between(fromMs, toMs));
  return [
    name,
    ...[latency.p50, latency.p99, latency.max, gcPauses.reduce((sum, p) => sum + p, 0)].map(ms),
    String(gcPauses.filter((p) => p >= 5).length),
    gcPauses.slice(0, 3).map(ms).join(", "),
    `${gc.scavenges} (${ms(gc.longestScavengeMs)})`,
    `${gc.fullGcs} (${ms(gc.longestFullGcMs)})`,
    gc.fullGcs ? `${gc.freedPerFullGcMiB.toFixed(1)} of ${(gc.freedPerFullGcMiB + gc.liveAfterFullGcMiB).toFixed(1)} MiB` : "-",
    mib(heapUsed),
  ];
});
process.stdout.write(
  `\n${table(
    "Relay latency (ms) beside the isolate's garbage-collection pauses in the same run (profiler), and V8's trace of them: scavenges and full (mark-compact) collections, count (longest ms), what a full one freed of the heap it found",
    ["run", "p50", "p99", "max", "GC total", "pauses >= 5 ms", "longest pauses", "scavenges", "full GCs", "freed per full GC", "heap used after"],
    rows,
  )}\n\n${allocations}\n\n${live}\n`,
);
