// Benchmark: what the B4 trace costs in a document's SQLite database before compaction, when it
// arrives as fast as the server takes it (group commit merges each batch into one row) and when
// every update is its own commit (a slow typist), and the snapshot's size in V2 against V1.
// Runs the real Worker (bench/worker.ts, compaction off) under `wrangler dev`: `npm run bench`.
import { join, resolve } from "node:path";
import { WebSocket } from "ws";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { mintToken } from "../test/helpers/tokens.ts";
import { startWranglerDev } from "../test/helpers/wranglerDev.ts";
import { replayB4 } from "./throughput/scenarios/replay.ts";
import type { Target } from "./throughput/targets.ts";
import { loadB4 } from "./throughput/trace.ts";

const ROOT = resolve(import.meta.dirname, "..");
const quick = process.env.BENCH_QUICK === "1";
const PATCHES = process.env.BENCH_B4_PATCHES === "all" || !process.env.BENCH_B4_PATCHES ? (quick ? 20_000 : Infinity) : Number(process.env.BENCH_B4_PATCHES);
/** Updates sent one commit at a time: enough for a stable per-row figure. */
const ONE_BY_ONE = quick ? 500 : 2_000;

interface Storage {
  databaseBytes: number;
  logRows: number;
  logDataBytes: number;
  snapshot: { size: number; encoding: string; v1Size: number; v2Size: number } | null;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const { replay } = loadB4(PATCHES);
  const server = await startWranglerDev({ config: join(ROOT, "bench", "wrangler.jsonc") });
  const call = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${server.url}${path}`, init);
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const token = async (docId: string) => (await mintToken(server.url, docId, "write", { userId: "bench" })).token;
  const target: Target = {
    key: "quire",
    name: "Quire",
    dialect: "y-websocket",
    durability: "SQLite",
    url: async (docId) => `${server.wsUrl}/ws/${docId}?token=${await token(docId)}`,
    memory: () => ({ serverBytes: 0, covers: "" }),
    cpuSeconds: () => 0,
    stop: async () => undefined,
  };
  try {
    const stamp = Date.now().toString(36);
    const empty = `storage-${stamp}-empty`;
    await openAndClose(await target.url(empty));
    const base = await call<Storage>(`/bench/${empty}/storage`);

    const streamed = `storage-${stamp}-streamed`;
    const replayed = await replayB4(target, streamed, replay, 1000, 30 * 60_000);
    const full = await call<Storage>(`/bench/${streamed}/storage`);

    const slow = `storage-${stamp}-one-by-one`;
    await oneCommitEach(await target.url(slow), replay.updates.slice(0, ONE_BY_ONE));
    const single = await call<Storage>(`/bench/${slow}/storage`);

    await call(`/bench/${streamed}/compact`, { method: "POST" });
    const compacted = await call<Storage>(`/bench/${streamed}/storage`);

    const perUpdate = (s: Storage, updates: number) => (s.databaseBytes - base.databaseBytes) / updates;
    log(`B4: ${replay.updates.length} updates, ${(replay.bytes / replay.updates.length).toFixed(1)} bytes each on the wire`);
    log("");
    log("SQLite bytes per B4 update before compaction (database size minus an empty document's)");
    log(`  streamed (group commit, window 1,000; ${Math.round(replayed.updatesPerSecond)} updates/s): ${perUpdate(full, replay.updates.length).toFixed(1)} B/update, ${full.logRows} rows (${(replay.updates.length / full.logRows).toFixed(1)} updates per row), ${(full.logDataBytes / replay.updates.length).toFixed(1)} B of update data per update`);
    log(`  one commit per update (${ONE_BY_ONE} updates, each acknowledged before the next): ${perUpdate(single, ONE_BY_ONE).toFixed(1)} B/update, ${single.logRows} rows`);
    if (compacted.snapshot) {
      const { size, encoding: enc, v1Size, v2Size } = compacted.snapshot;
      log(`snapshot of the result: ${size} bytes stored (${enc}); the same state is ${v1Size} bytes in V1 and ${v2Size} in V2: stored / V2 = ${(size / v2Size).toFixed(2)}x`);
    }
  } finally {
    await server.destroy();
  }
}

/** Connects and waits for the server's sync step 1, so the document exists with nothing in it. */
function openAndClose(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once("message", () => {
      ws.close();
      resolve();
    });
    ws.once("error", reject);
  });
}

/** Sends each update with an ack request and waits for the ack before the next: one commit per update. */
async function oneCommitEach(url: string, updates: Uint8Array[]): Promise<void> {
  const ws = new WebSocket(`${url}&ext=ack`, { perMessageDeflate: false });
  await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
  let acked = 0;
  let wake: (() => void) | null = null;
  ws.on("message", (data: Buffer) => {
    const decoder = decoding.createDecoder(new Uint8Array(data));
    if (decoding.readVarUint(decoder) !== 100 || decoding.readVarUint(decoder) !== 1) return;
    acked = decoding.readVarUint(decoder);
    wake?.();
  });
  for (let i = 0; i < updates.length; i++) {
    ws.send(frame((e) => (encoding.writeVarUint(e, 0), encoding.writeVarUint(e, 2), encoding.writeVarUint8Array(e, updates[i]))));
    ws.send(frame((e) => (encoding.writeVarUint(e, 100), encoding.writeVarUint(e, 0), encoding.writeVarUint(e, i + 1))));
    while (acked < i + 1) await new Promise<void>((resolve) => (wake = resolve));
  }
  ws.close();
}

function frame(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
}

await main();
