// Idle documents really sleep: SDK clients in separate processes keep each other's presence
// without waking the document, a vanished client is reaped, and stock clients in a mixed document
// keep seeing everyone.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TcpProxy } from "../client/tcpProxy";
import { SdkProcess } from "../helpers/sdkProcess";
import { mintToken } from "../helpers/tokens";
import { DEV_SECRETS, startWranglerDev, type WranglerDev } from "../helpers/wranglerDev";
import { connectStockClient, synced, waitFor, type StockClient } from "./stockClient";

const SECOND = 1000;
/** The idle window the issue asks for, and the mixed document's. */
const IDLE_MS = 60 * SECOND;
const MIXED_IDLE_MS = 90 * SECOND;

let quiet: WranglerDev; // reaping far apart, so any wake during the idle window is one presence caused
let reaping: WranglerDev; // the default reaping interval
const processes: SdkProcess[] = [];
const stock: StockClient[] = [];
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  [quiet, reaping] = await Promise.all([startWranglerDev({ vars: { REAP_INTERVAL_SECONDS: "3600" } }), startWranglerDev()]);
});
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  for (const client of stock) client.destroy();
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all([quiet?.destroy(), reaping?.destroy()]);
});

async function sdk(server: WranglerDev | TcpProxy, docId: string, name: string, adminUrl?: string): Promise<SdkProcess> {
  const client = await SdkProcess.start(server.url, docId, name, adminUrl ? { QUIRE_ADMIN_URL: adminUrl } : {});
  processes.push(client);
  await client.call("presence", { state: { name } });
  return client;
}

/** The document's wake counter. Reading it is itself a wake when the object is asleep. */
async function wakes(server: WranglerDev, docId: string): Promise<{ wakes: number; lastWakeAt: number }> {
  const response = await fetch(`${server.url}/v1/docs/${docId}`, { headers: { Authorization: `Bearer ${DEV_SECRETS.ADMIN_TOKEN}` } });
  if (!response.ok) throw new Error(`GET ${docId}: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { wakes: number; lastWakeAt: string };
  return { wakes: body.wakes, lastWakeAt: Date.parse(body.lastWakeAt) };
}

/** Polls until every client's presence holds exactly `names`. */
async function everyoneSees(clients: SdkProcess[], names: string[], timeoutMs = 20 * SECOND): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await Promise.all(clients.map((c) => c.names()));
    if (seen.every((list) => JSON.stringify(list) === JSON.stringify(names))) return;
    if (Date.now() > deadline) throw new Error(`presence: expected ${names.join(",")} everywhere, got ${JSON.stringify(seen)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe.concurrent("an idle document", () => {
  test("with three SDK clients stays hibernated: no wake for a minute, presence intact, and it works afterwards", async () => {
    const docId = `idle-${Date.now()}`;
    const clients = [await sdk(quiet, docId, "ada"), await sdk(quiet, docId, "bob"), await sdk(quiet, docId, "cy")];
    await everyoneSees(clients, ["ada", "bob", "cy"]);
    await clients[0].call("insert", { text: "before " });
    // Let the index sync (5 s after the last change) and the eviction (about 10 s) pass.
    await new Promise((resolve) => setTimeout(resolve, 20 * SECOND));
    const before = await wakes(quiet, docId);

    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    // Exactly one wake since: this read's own, which found the object asleep. A presence relay
    // during the minute would have added a wake, or kept the object awake for this read.
    const readAt = Date.now();
    const after = await wakes(quiet, docId);
    expect(after.wakes).toBe(before.wakes + 1);
    expect(after.lastWakeAt).toBeGreaterThanOrEqual(readAt - 1000);
    await everyoneSees(clients, ["ada", "bob", "cy"], 1000);

    const late = await sdk(quiet, docId, "dee");
    await everyoneSees([...clients, late], ["ada", "bob", "cy", "dee"]);
    await late.call("insert", { text: "after" });
    // Appends land at the end each client sees, so "!" waits until "after" has reached everyone.
    await waitForText([...clients, late], "before after");
    await clients[1].call("insert", { text: "!" });
    await waitForText([...clients, late], "before after!");
  }, 4 * 60 * SECOND);

  test("a client that vanishes without a close frame disappears from the others within the reaping bound", async () => {
    const docId = `ghost-${Date.now()}`;
    const proxy = await TcpProxy.start(reaping.url);
    proxies.push(proxy);
    const [ada, bob] = [await sdk(reaping, docId, "ada"), await sdk(reaping, docId, "bob")];
    const ghost = await sdk(proxy, docId, "ghost", reaping.url);
    await everyoneSees([ada, bob, ghost], ["ada", "bob", "ghost"]);
    const vanishedAt = Date.now();
    proxy.vanish();
    ghost.kill();
    await everyoneSees([ada, bob], ["ada", "bob"], 150 * SECOND);
    const gone = (Date.now() - vanishedAt) / SECOND;
    console.log(`a vanished client's presence was removed after ${gone.toFixed(0)} s (bound: 30 s of silence + an 85 s reaping interval)`);
    expect(gone).toBeLessThan(130);
  }, 4 * 60 * SECOND);

  test("mixed with a stock client, every cursor stays visible to everyone through 90 s of idle", async () => {
    const docId = `mixed-${Date.now()}`;
    const [ada, bob] = [await sdk(reaping, docId, "ada"), await sdk(reaping, docId, "bob")];
    const { token } = await mintToken(reaping.url, docId, "write", { userId: "stock" });
    const classic = connectStockClient(reaping.wsUrl, docId, token);
    stock.push(classic);
    await synced(classic);
    classic.provider.awareness.setLocalStateField("user", { name: "stock" });
    const stockSees = () => [...classic.provider.awareness.getStates().values()].flatMap((s) => (s.user?.name ? [s.user.name] : [])).sort();
    const all = ["ada", "bob", "stock"];
    await everyoneSees([ada, bob], all);
    await waitFor("the stock client to see everyone", () => JSON.stringify(stockSees()) === JSON.stringify(all), 20 * SECOND);
    // Checked every 5 s: a state the stock client did not hear renewed for 30 s would be dropped.
    for (const end = Date.now() + MIXED_IDLE_MS; Date.now() < end; ) {
      await new Promise((resolve) => setTimeout(resolve, 5 * SECOND));
      expect(stockSees()).toEqual(all);
      for (const client of [ada, bob]) expect(await client.names()).toEqual(all);
    }
  }, 4 * 60 * SECOND);
});

async function waitForText(clients: SdkProcess[], text: string): Promise<void> {
  const deadline = Date.now() + 20 * SECOND;
  for (;;) {
    const texts = await Promise.all(clients.map((c) => c.call<string>("text")));
    if (texts.every((t) => t === text)) return;
    if (Date.now() > deadline) throw new Error(`texts: ${JSON.stringify(texts)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
