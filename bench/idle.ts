// Benchmark: what an idle document costs. Counts the wakes of documents with clients connected
// and idle (SDK clients only, and SDK clients with a stock y-websocket client), measures how long
// the object stays in memory after a wake, and turns both into Durable Object duration per idle
// document per day, next to a document that never hibernates. `npm run bench` (or alone:
// `node bench/idle.ts`; BENCH_IDLE_MINUTES sets the idle window, default 10).
import { SdkProcess } from "../test/helpers/sdkProcess.ts";
import { DEV_SECRETS, startWranglerDev, type WranglerDev } from "../test/helpers/wranglerDev.ts";
import { connectStockClient, synced, type StockClient } from "../test/e2e/stockClient.ts";

const IDLE_MINUTES = Number(process.env.BENCH_IDLE_MINUTES ?? (process.env.BENCH_QUICK === "1" ? 3 : 10));
/** Production bills Durable Object duration in GB-s at 128 MB per object. */
const GB_PER_OBJECT = 0.125;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const log = (line: string) => process.stdout.write(`${line}\n`);

interface WakeCount {
  wakes: number;
  lastWakeAt: number;
}

async function readWakes(server: WranglerDev, docId: string): Promise<WakeCount> {
  const response = await fetch(`${server.url}/v1/docs/${docId}`, { headers: { Authorization: `Bearer ${DEV_SECRETS.ADMIN_TOKEN}` } });
  if (!response.ok) throw new Error(`GET ${docId}: ${response.status}`);
  const body = (await response.json()) as { wakes: number; lastWakeAt: string };
  return { wakes: body.wakes, lastWakeAt: Date.parse(body.lastWakeAt) };
}

/** Wakes of a document over the idle window, not counting the reads' own. */
async function idleWakes(server: WranglerDev, docId: string): Promise<number> {
  await sleep(20_000); // the index sync and the eviction after the setup
  const before = await readWakes(server, docId);
  await sleep(IDLE_MINUTES * 60_000);
  const readAt = Date.now();
  const after = await readWakes(server, docId);
  const ownWake = after.lastWakeAt >= readAt - 1000 ? 1 : 0; // the last read found it asleep
  return after.wakes - before.wakes - ownWake;
}

/**
 * How long the object stays in memory after a wake with nothing to do: wake it, wait, and see
 * whether the next read starts it again; the shortest wait after which it does, in steps of 1 s.
 */
async function awakeSecondsPerWake(server: WranglerDev, docId: string): Promise<number> {
  const samples: number[] = [];
  for (let round = 0; round < 3; round++) {
    await sleep(20_000);
    let seconds = 1;
    for (; seconds <= 30; seconds++) {
      const woken = await readWakes(server, docId);
      await sleep(seconds * 1000);
      const again = await readWakes(server, docId);
      if (again.wakes > woken.wakes) break;
    }
    samples.push(seconds);
  }
  return samples.sort((a, b) => a - b)[1];
}

async function main(): Promise<void> {
  const server = await startWranglerDev();
  const processes: SdkProcess[] = [];
  const stock: StockClient[] = [];
  const stamp = Date.now().toString(36);
  try {
    const sdkDoc = `idle-sdk-${stamp}`;
    const mixedDoc = `idle-mixed-${stamp}`;
    const emptyDoc = `idle-empty-${stamp}`;
    for (const name of ["ada", "bob", "cy"]) processes.push(await SdkProcess.start(server.url, sdkDoc, name));
    for (const name of ["ada", "bob"]) processes.push(await SdkProcess.start(server.url, mixedDoc, name));
    for (const client of processes) await client.call("presence", { state: { name: "someone" } });
    const minted = await fetch(`${server.url}/v1/docs/${mixedDoc}/tokens`, {
      method: "POST",
      headers: { Authorization: `Bearer ${DEV_SECRETS.ADMIN_TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ access: "write", userId: "stock" }),
    });
    const { token } = (await minted.json()) as { token: string };
    const classic = connectStockClient(server.wsUrl, mixedDoc, token);
    stock.push(classic);
    await synced(classic);
    classic.provider.awareness.setLocalStateField("user", { name: "stock" });
    const empty = await SdkProcess.start(server.url, emptyDoc, "probe");
    await empty.stop(); // a document nobody has open: the eviction probe's

    log(`idle window: ${IDLE_MINUTES} min; reaping every 85 s while connections are open`);
    const [sdkWakes, mixedWakes, awake] = await Promise.all([idleWakes(server, sdkDoc), idleWakes(server, mixedDoc), awakeSecondsPerWake(server, emptyDoc)]);
    const perHour = (wakes: number) => (wakes * 60) / IDLE_MINUTES;
    const rows = [
      ["3 SDK clients", perHour(sdkWakes)],
      ["2 SDK clients + 1 stock y-websocket client", perHour(mixedWakes)],
    ] as const;
    log(`the object stays in memory about ${awake} s after a wake with nothing to do (median of 3 probes)`);
    log("");
    log("document, idle with clients connected | wakes per hour | awake s per day | GB-s per day | without hibernation");
    for (const [label, wakes] of rows) {
      const awakePerDay = Math.min(86_400, wakes * 24 * awake);
      log(`${label} | ${wakes.toFixed(0)} | ${awakePerDay.toFixed(0)} | ${(awakePerDay * GB_PER_OBJECT).toFixed(0)} | 86400 s, ${(86_400 * GB_PER_OBJECT).toFixed(0)} GB-s`);
    }
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    for (const client of stock) client.destroy();
    await server.destroy();
  }
}

await main();
