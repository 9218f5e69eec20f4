// Replays the B4 editing trace (automerge-paper) through one stock client, one update per patch,
// and checks a second stock client ends with the exact final text. Prints baseline figures.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { gunzipSync } from "node:zlib";
import * as Y from "yjs";
import { afterAll, beforeAll, expect, test } from "vitest";
import { mintToken } from "../helpers/tokens";
import { startWranglerDev, type WranglerDev } from "../helpers/wranglerDev";
import { connectStockClient, synced, waitFor, type StockClient } from "./stockClient";

const TRACE = resolve(__dirname, "../../../shared/traces/automerge-paper.json.gz");
const MINUTE = 60_000;
/** Characters the sender may be ahead of the receiver; bounds what is buffered along the way. */
const MAX_LAG = 20_000;
const CHECK_EVERY = 1_000;

type Patch = [position: number, deleted: number, inserted: string];
interface Trace {
  startContent: string;
  endContent: string;
  txns: { patches: Patch[] }[];
}

let server: WranglerDev;
const clients: StockClient[] = [];

beforeAll(async () => {
  server = await startWranglerDev();
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await server?.destroy();
});

async function connect(docId: string): Promise<StockClient> {
  const { token } = await mintToken(server.url, docId, "write");
  const client = connectStockClient(server.wsUrl, docId, token);
  clients.push(client);
  await synced(client);
  return client;
}

test(
  "replaying the B4 trace through one stock client, one update per patch, leaves another client with the exact final text",
  async () => {
    const trace = JSON.parse(gunzipSync(readFileSync(TRACE)).toString()) as Trace;
    const patches = trace.txns.flatMap((txn) => txn.patches);
    const docId = `e2e-b4-${Date.now()}`;
    const sender = await connect(docId);
    const receiver = await connect(docId);
    sender.text.insert(0, trace.startContent);

    let updates = 0;
    let updateBytes = 0;
    sender.doc.on("update", (update: Uint8Array) => {
      updates++;
      updateBytes += update.byteLength;
    });
    const lag = () => Y.getState(sender.doc.store, sender.doc.clientID) - Y.getState(receiver.doc.store, sender.doc.clientID);
    const started = performance.now();

    for (let i = 0; i < patches.length; i++) {
      const [position, deleted, inserted] = patches[i];
      sender.doc.transact(() => {
        if (deleted > 0) sender.text.delete(position, deleted);
        if (inserted) sender.text.insert(position, inserted);
      });
      if (i % CHECK_EVERY === 0) await waitFor("the receiver to catch up", () => lag() < MAX_LAG, 2 * MINUTE);
    }
    expect(sender.text.toString()).toBe(trace.endContent);
    await waitFor("the receiver to reach endContent", () => receiver.text.toString() === trace.endContent, 10 * MINUTE);
    const replaySeconds = (performance.now() - started) / 1000;
    expect(updates).toBe(patches.length);

    for (const client of clients.splice(0)) client.destroy();
    await server.stop();
    const stored = storedBytes(server.persistTo);
    await server.restart();
    const loadStarted = performance.now();
    const fresh = await connect(docId);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    expect(fresh.text.toString()).toBe(trace.endContent);

    console.log(
      [
        `B4 replay: ${updates} updates (${updateBytes} bytes of updates) in ${replaySeconds.toFixed(1)} s`,
        `(${Math.round(updates / replaySeconds)} updates/s)`,
        `stored: ${stored} bytes in the document's SQLite database;`,
        `first sync of ${trace.endContent.length} characters after a restart: ${loadSeconds.toFixed(2)} s`,
      ].join(" "),
    );
  },
  15 * MINUTE,
);

/**
 * Bytes in use in the Durable Object databases under a persist directory (pages minus free pages,
 * WAL included), read with the server stopped.
 */
function storedBytes(persistTo: string): number {
  const dir = join(persistTo, "v3", "do");
  const databases = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter(
    (name) => name.endsWith(".sqlite") && !name.endsWith("metadata.sqlite"),
  );
  return databases.reduce((sum, name) => {
    const db = new DatabaseSync(join(dir, name), { readOnly: true });
    const pragma = (key: string) => Number(Object.values(db.prepare(`PRAGMA ${key}`).get()!)[0]);
    const bytes = (pragma("page_count") - pragma("freelist_count")) * pragma("page_size");
    db.close();
    return sum + bytes;
  }, 0);
}
