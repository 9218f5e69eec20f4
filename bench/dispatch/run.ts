// What the runtime costs per WebSocket message before any of Quire's code runs: workerd's CPU time
// per message delivered to a Durable Object that does nothing but count, for sockets accepted for
// hibernation (Quire's kind) and sockets accepted in the isolate, over successive rounds on the
// same object, then after the object was evicted. `npm run bench`, or `node bench/dispatch/run.ts`
// (BENCH_DISPATCH_MESSAGES per round, default 50,000; BENCH_DISPATCH_ROUNDS, default 4).
import { join } from "node:path";
import { cpuOf, groupMembers, groupOf, listenerOf, rssOf } from "../throughput/procfs.ts";
import { fmt, int, table } from "../throughput/report.ts";
import { ROOT } from "../throughput/targets.ts";
import { startWranglerDev } from "../../test/helpers/wranglerDev.ts";

const MESSAGES = Number(process.env.BENCH_DISPATCH_MESSAGES ?? (process.env.BENCH_QUICK === "1" ? 20_000 : 50_000));
const ROUNDS = Number(process.env.BENCH_DISPATCH_ROUNDS ?? 4);
/** Longer than the runtime's 10 s eviction delay for an idle object. */
const EVICTION_WAIT_MS = 20_000;
/** The size of a typical B4 update frame. */
const FRAME = new Uint8Array(26).fill(7);

const dev = await startWranglerDev({ config: join(ROOT, "bench", "dispatch", "wrangler.jsonc") });
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void dev.destroy().then(() => process.exit(130)));

function workerd(): { cpu: number; rss: number } {
  const listener = listenerOf(Number(new URL(dev.url).port));
  if (listener === null) throw new Error("wrangler dev is not listening");
  const processes = groupMembers(groupOf(listener)).filter((p) => p.comm === "workerd");
  return { cpu: processes.reduce((sum, p) => sum + cpuOf(p.pid), 0), rss: processes.reduce((sum, p) => sum + rssOf(p.pid), 0) };
}

/** Sends MESSAGES binary frames on a new socket, then asks for the count; workerd CPU µs per message. */
async function round(path: string, object: string): Promise<{ micros: number; rssMiB: number }> {
  const ws = new WebSocket(`${dev.wsUrl}${path}?object=${object}`);
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
  const before = workerd();
  for (let i = 0; i < MESSAGES; i++) {
    ws.send(FRAME);
    if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
  }
  ws.send("count");
  const count = await new Promise<string>((resolve) => (ws.onmessage = (event) => resolve(String(event.data))));
  const after = workerd();
  ws.close();
  if (Number(count) !== MESSAGES) throw new Error(`${path}: the object counted ${count} of ${MESSAGES} messages`);
  return { micros: ((after.cpu - before.cpu) / MESSAGES) * 1e6, rssMiB: (after.rss - before.rss) / 2 ** 20 };
}

try {
  const rows: string[][] = [];
  for (const [label, path] of [["hibernatable (ctx.acceptWebSocket)", "/hibernatable"], ["in the isolate (ws.accept)", "/in-isolate"]] as const) {
    const object = `bench-${Date.now().toString(36)}`;
    for (let r = 1; r <= ROUNDS; r++) {
      const { micros, rssMiB } = await round(path, object);
      rows.push([label, int((r - 1) * MESSAGES), fmt(micros, 1), fmt(rssMiB, 1)]);
    }
    await new Promise((resolve) => setTimeout(resolve, EVICTION_WAIT_MS));
    const { micros, rssMiB } = await round(path, object);
    rows.push([label, "0 (after eviction)", fmt(micros, 1), fmt(rssMiB, 1)]);
  }
  console.log(
    table(
      `Runtime cost per WebSocket message: ${int(MESSAGES)} messages of ${FRAME.byteLength} bytes per round to one Durable Object that only counts them, a new socket per round`,
      ["accepted", "messages the object had received", "workerd CPU us/message", "workerd RSS growth MiB"],
      rows,
    ),
  );
} finally {
  await dev.destroy();
}
