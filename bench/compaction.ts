// Benchmark: cold load of the B4 document from its log alone vs from a snapshot plus tail, and how
// long compaction blocks the document for B4 and for a document ten times larger.
// Runs the real Worker (bench/worker.ts) under `wrangler dev`: `npm run bench`.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import * as encoding from "lib0/encoding";
import * as Y from "yjs";
import { startWranglerDev } from "../test/helpers/wranglerDev.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const TRACE = resolve(ROOT, "../shared/traces/automerge-paper.json.gz");
const TAIL_UPDATES = 2000; // the default COMPACT_MAX_UPDATES: the log a steady-state compaction folds
const RUNS = 3;

interface Trace {
  txns: Array<{ patches: Array<[number, number, string]> }>;
  endContent: string;
}

function replay(trace: Trace, doc: Y.Doc, root: string, onUpdate?: (update: Uint8Array) => void): void {
  const text = doc.getText(root);
  if (onUpdate) doc.on("update", onUpdate);
  const apply = () => {
    for (const txn of trace.txns) {
      const run = () => {
        for (const [pos, del, ins] of txn.patches) {
          if (del > 0) text.delete(pos, del);
          if (ins) text.insert(pos, ins);
        }
      };
      onUpdate ? doc.transact(run) : run();
    }
  };
  onUpdate ? apply() : doc.transact(apply);
  if (onUpdate) doc.off("update", onUpdate);
}

/** `count` one-character edits on top of `base`, by a new client, one update each. */
function tailEdits(base: Uint8Array, count: number): Uint8Array[] {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, base);
  const text = doc.getText("text0");
  const updates: Uint8Array[] = [];
  doc.on("update", (u: Uint8Array) => updates.push(u));
  for (let i = 0; i < count; i++) text.insert((i * 7919) % (text.length + 1), "x");
  return updates;
}

function batches(updates: Uint8Array[], maxBytes = 512 * 1024): Uint8Array[] {
  const out: Uint8Array[] = [];
  let encoder = encoding.createEncoder();
  for (const update of updates) {
    encoding.writeVarUint8Array(encoder, update);
    if (encoding.length(encoder) >= maxBytes) {
      out.push(encoding.toUint8Array(encoder));
      encoder = encoding.createEncoder();
    }
  }
  if (encoding.length(encoder) > 0) out.push(encoding.toUint8Array(encoder));
  return out;
}

async function call<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface LoadResult { ms: number; chars: number; rows: number }
interface CompactResult { loadMs: number; blockingMs: number; encodeMs: number; commitMs: number; trimMs: number; totalMs: number; size: number; seq: number }

/** One line about a compaction: its longest block and the synchronous steps behind it. */
const describe = (r: CompactResult) =>
  `longest block ${r.blockingMs.toFixed(0)} ms (encode ${r.encodeMs.toFixed(0)}, record + first rows ${r.commitMs.toFixed(0)}, ` +
  `other row batches ${r.trimMs.toFixed(0)} in all); ${r.totalMs.toFixed(0)} ms end to end with the R2 upload; snapshot ${kb(r.size)}`;

async function seed(url: string, docId: string, updates: Uint8Array[]): Promise<void> {
  for (const body of batches(updates)) await call(`${url}/bench/${docId}/append`, { method: "POST", body });
}

/** Cold loads: each on a fresh instance (the object is evicted first). */
async function coldLoads(url: string, docId: string, mode: "log" | "snapshot"): Promise<LoadResult[]> {
  const results: LoadResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    await call(`${url}/bench/${docId}/evict`, { method: "POST" });
    results.push(await call<LoadResult>(`${url}/bench/${docId}/load?mode=${mode}`));
  }
  return results;
}

async function compactCold(url: string, docId: string): Promise<CompactResult> {
  await call(`${url}/bench/${docId}/evict`, { method: "POST" });
  return call<CompactResult>(`${url}/bench/${docId}/compact`, { method: "POST" });
}

const ms = (values: number[]) => values.map((v) => v.toFixed(1)).join(" / ");
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

async function main(): Promise<void> {
  const trace = JSON.parse(gunzipSync(readFileSync(TRACE)).toString("utf8")) as Trace;
  let started = Date.now();
  const b4: Uint8Array[] = [];
  const b4Doc = new Y.Doc();
  replay(trace, b4Doc, "text0", (u) => b4.push(u));
  if (b4Doc.getText("text0").toString() !== trace.endContent) throw new Error("B4 replay does not match the trace's end content");
  const b4Tail = tailEdits(Y.encodeStateAsUpdate(b4Doc), TAIL_UPDATES);
  console.log(`B4: ${b4.length} updates, ${kb(b4.reduce((n, u) => n + u.byteLength, 0))} of log (generated in ${Date.now() - started} ms)`);

  started = Date.now();
  const copies: Uint8Array[] = [];
  for (let k = 0; k < 10; k++) {
    const doc = new Y.Doc();
    replay(trace, doc, `text${k}`);
    copies.push(Y.encodeStateAsUpdate(doc));
  }
  const tenX = Y.mergeUpdates(copies);
  const tenXTail = tailEdits(tenX, TAIL_UPDATES);
  console.log(`10x: one ${kb(tenX.byteLength)} update + ${TAIL_UPDATES} edits (generated in ${Date.now() - started} ms)`);

  const server = await startWranglerDev({ config: join(ROOT, "bench", "wrangler.jsonc") });
  try {
    const { url } = server;
    console.log("\nB4, log only (every update a row)");
    await seed(url, "b4", b4);
    const b4LogLoads = await coldLoads(url, "b4", "log");
    console.log(`  cold load, replaying ${b4LogLoads[0].rows} rows: ${ms(b4LogLoads.map((r) => r.ms))} ms (${b4LogLoads[0].chars} chars)`);
    const first = await compactCold(url, "b4");
    console.log(`  first compaction, folding all ${first.seq} rows: ${describe(first)}`);
    const b4SnapLoads = await coldLoads(url, "b4", "snapshot");
    console.log(`  cold load, snapshot + empty tail: ${ms(b4SnapLoads.map((r) => r.ms))} ms (${b4SnapLoads[0].chars} chars)`);
    await seed(url, "b4", b4Tail);
    const b4TailLoads = await coldLoads(url, "b4", "snapshot");
    console.log(`  cold load, snapshot + ${b4TailLoads[0].rows}-update tail: ${ms(b4TailLoads.map((r) => r.ms))} ms`);
    const steady = await compactCold(url, "b4");
    console.log(`  steady-state compaction (${TAIL_UPDATES}-update tail): ${describe(steady)}`);

    console.log("\n10x B4 (ten B4 texts in one document)");
    await seed(url, "tenx", [tenX, ...tenXTail]);
    const tenXLogLoads = await coldLoads(url, "tenx", "log");
    console.log(`  cold load from the log (1 big update + ${TAIL_UPDATES}): ${ms(tenXLogLoads.map((r) => r.ms))} ms (${tenXLogLoads[0].chars} chars)`);
    const tenXCompact = await compactCold(url, "tenx");
    console.log(`  compaction: ${describe(tenXCompact)}`);
    const tenXSnapLoads = await coldLoads(url, "tenx", "snapshot");
    console.log(`  cold load, snapshot: ${ms(tenXSnapLoads.map((r) => r.ms))} ms`);
    const tenXAgain = tailEdits(Y.mergeUpdates([tenX, ...tenXTail]), TAIL_UPDATES);
    await seed(url, "tenx", tenXAgain);
    const tenXSteady = await compactCold(url, "tenx");
    console.log(`  steady-state compaction (${TAIL_UPDATES}-update tail): ${describe(tenXSteady)}`);
    console.log(`\n(${RUNS} runs each where listed; every load and compaction starts on a freshly evicted object;`);
    console.log(" workerd's clock has 1 ms steps. A cold compaction also pays the cold load first, reported by the load lines.)");
  } finally {
    await server.destroy();
  }
}

await main();
