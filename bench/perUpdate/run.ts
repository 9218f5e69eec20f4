// Where Quire's time goes per update, measured inside workerd: each step of the path a client update
// takes (frame decode, validation, apply, SQLite append, bookkeeping, relay encoding, the whole room
// path), over the first B4 patches; then the append and the room path with one event, and so one
// commit, per update. `npm run bench`, or `node bench/perUpdate/run.ts`; settings in bench/throughput/README.md.
import { join } from "node:path";
import * as encoding from "lib0/encoding";
import { FrameCodec } from "../throughput/client.ts";
import { fmt, int, median, table } from "../throughput/report.ts";
import { ROOT } from "../throughput/targets.ts";
import { startWranglerDev } from "../../test/helpers/wranglerDev.ts";
import { loadB4 } from "../throughput/trace.ts";

const UPDATES = Number(process.env.BENCH_MICRO_UPDATES ?? (process.env.BENCH_QUICK === "1" ? 2000 : 10_000));
const EVENTS = Number(process.env.BENCH_MICRO_EVENTS ?? (process.env.BENCH_QUICK === "1" ? 500 : 2000));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (process.env.BENCH_QUICK === "1" ? 1 : 3));

const STEPS: { step: string; base: string; covers: string }[] = [
  { step: "decode-frame", base: "baseline", covers: "decodeMessage: the y-websocket frame" },
  { step: "validate", base: "decode-frame", covers: "Y.decodeUpdate, the full decode readUpdate does to validate" },
  { step: "apply", base: "decode-frame", covers: "Y.applyUpdate with an update listener attached and removed" },
  { step: "append", base: "decode-frame", covers: "UpdateLog.append: transactionSync + INSERT (writes of one event share a commit)" },
  { step: "bookkeeping", base: "baseline", covers: "afterAppend: recordEdit (SELECT + upsert), markDirty (SELECT + JSON), noteAppend" },
  { step: "encode-relay", base: "decode-frame", covers: "encodeUpdate for the relayed frame (sends not included)" },
  { step: "room", base: "baseline", covers: "DocumentRoom.receive: the whole path, no sockets, all in one event" },
];
const EVENT_STEPS: { step: string; covers: string }[] = [
  { step: "write", covers: "one small SQLite upsert, its own event: what any write costs (commit + output gate)" },
  { step: "txn-write", covers: "the same upsert inside transactionSync" },
  { step: "insert", covers: "decode + the update log's INSERT alone (no transactionSync, no seq lookup)" },
  { step: "append", covers: "decode + UpdateLog.append, its own event: commit + output gate" },
  { step: "room", covers: "DocumentRoom.receive, its own event: the whole path + commit + output gate" },
];

async function main(): Promise<void> {
  const { replay } = loadB4(UPDATES);
  const codec = new FrameCodec("y-websocket", "micro");
  const encoder = encoding.createEncoder();
  for (const update of replay.updates) encoding.writeVarUint8Array(encoder, codec.update(update));
  const batch = encoding.toUint8Array(encoder);
  const eventEncoder = encoding.createEncoder();
  for (const update of replay.updates.slice(0, EVENTS)) encoding.writeVarUint8Array(eventEncoder, codec.update(update));
  const eventBatch = encoding.toUint8Array(eventEncoder);
  const dev = await startWranglerDev({ config: join(ROOT, "bench", "perUpdate", "wrangler.jsonc") });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void dev.destroy().then(() => process.exit(130)));
  const stamp = Date.now().toString(36);
  let n = 0;
  /** Times one request on a fresh document object, constructed and warmed by an empty request first. */
  const time = async (step: string): Promise<number> => {
    const [kind, name] = step.split(":");
    const doc = `${dev.url}/bench/micro-${stamp}-${n++}`;
    const warm = await fetch(`${doc}/step/baseline`, { method: "POST", body: new Uint8Array(0) });
    if (!warm.ok) throw new Error(`${step}: ${warm.status} ${await warm.text()}`);
    const started = performance.now();
    const response = await fetch(`${doc}/${kind}/${name}`, { method: "POST", body: kind === "events" ? eventBatch : batch });
    const ms = performance.now() - started;
    if (!response.ok) throw new Error(`${step}: ${response.status} ${await response.text()}\n${dev.output()}`);
    return ms;
  };
  const all = ["step:baseline", ...STEPS.map((s) => `step:${s.step}`), "events:noop", ...EVENT_STEPS.map((s) => `events:${s.step}`)];
  const samples = new Map<string, number[]>(all.map((s) => [s, []]));
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const order = all.map((_, i) => all[(i + r * 3) % all.length]);
      for (const step of order) samples.get(step)!.push(await time(step));
    }
  } finally {
    await dev.destroy();
  }
  const ms = (step: string) => median(samples.get(step)!);
  const perUpdate = (step: string, base: string, count: number) => fmt(((ms(step) - ms(base)) / count) * 1000, 1);
  const rows = [
    ["baseline", fmt((ms("step:baseline") / UPDATES) * 1000, 1), "-", "request + batch decode (subtracted from the steps)"],
    ...STEPS.map(({ step, base, covers }) => [step, perUpdate(`step:${step}`, `step:${base}`, UPDATES), base, covers]),
  ];
  console.log(
    table(
      `Quire per-update cost inside workerd (wrangler dev): ${int(UPDATES)} B4 updates in one event, median of ${ROUNDS} rounds, microseconds per update (step minus its base)`,
      ["step", "us/update", "minus", "what it times"],
      rows,
    ),
  );
  const eventRows = [
    ["noop", fmt((ms("events:noop") / EVENTS) * 1000, 1), "-", "one RPC call from the Worker to the object, nothing done (subtracted)"],
    ...EVENT_STEPS.map(({ step, covers }) => [step, perUpdate(`events:${step}`, "events:noop", EVENTS), "noop", covers]),
  ];
  console.log("");
  console.log(table(`The same, one update per event: ${int(EVENTS)} updates, each its own RPC call, median of ${ROUNDS} rounds`, ["step", "us/update", "minus", "what it times"], eventRows));
  console.log("(workerd's clock stands still during synchronous code, so everything is timed from outside, one request per batch.)");
}

await main();
