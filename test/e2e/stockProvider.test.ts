// The stock y-websocket provider against a real `wrangler dev`: sync, durability, access control.
import { WebSocket } from "ws";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { mintToken, type Access } from "../helpers/tokens";
import { startWranglerDev, type WranglerDev } from "../helpers/wranglerDev";
import { connectStockClient, synced, waitFor, type StockClient } from "./stockClient";

let server: WranglerDev;
let clients: StockClient[] = [];
let docCount = 0;

beforeAll(async () => {
  server = await startWranglerDev();
});
afterAll(() => server?.destroy());
afterEach(() => {
  for (const client of clients) client.destroy();
  clients = [];
});

const newDocId = () => `e2e-stock-${Date.now()}-${++docCount}`;

async function connect(docId: string, access: Access): Promise<StockClient> {
  const { token } = await mintToken(server.url, docId, access);
  const client = connectStockClient(server.wsUrl, docId, token);
  clients.push(client);
  await synced(client);
  return client;
}

function disconnectAll(): void {
  for (const client of clients) client.destroy();
  clients = [];
}

describe("stock y-websocket provider", () => {
  test("two clients converge on concurrent edits, and a third gets the full text after a server restart", async () => {
    const docId = newDocId();
    const alice = await connect(docId, "write");
    const bob = await connect(docId, "write");

    // Both edit before either hears from the other.
    alice.text.insert(0, "alice ");
    bob.text.insert(0, "bob ");
    await waitFor("concurrent edits to converge", () => alice.text.length === 10 && alice.text.toString() === bob.text.toString());
    expect(["alice bob ", "bob alice "]).toContain(alice.text.toString());

    for (let i = 0; i < 20; i++) {
      alice.text.insert(alice.text.length, "a");
      bob.text.insert(0, "b");
    }
    bob.text.delete(0, 5);
    await waitFor("interleaved edits to converge", () => alice.text.length === 45 && alice.text.toString() === bob.text.toString());
    const expected = alice.text.toString();

    disconnectAll();
    await server.restart();
    const carol = await connect(docId, "write");
    expect(carol.text.toString()).toBe(expected);
  });

  test("a read-only client receives the content, but its edits reach no one and do not survive a restart", async () => {
    const docId = newDocId();
    const writer = await connect(docId, "write");
    writer.text.insert(0, "shared");
    const reader = await connect(docId, "read");
    await waitFor("the reader to get the content", () => reader.text.toString() === "shared");

    reader.text.insert(0, "forged ");
    // The server handles one socket's frames in order: once the writer sees presence sent after
    // the edit, the edit has been handled too.
    reader.provider.awareness.setLocalStateField("marker", "after-edit");
    await waitFor("the reader's presence to reach the writer", () => writer.provider.awareness.getStates().get(reader.doc.clientID)?.marker === "after-edit");
    expect(reader.text.toString()).toBe("forged shared");
    expect(writer.text.toString()).toBe("shared");

    disconnectAll();
    await server.restart();
    const fresh = await connect(docId, "read");
    expect(fresh.text.toString()).toBe("shared");
  });

  test("an invalid or missing token is refused with HTTP 401 before the WebSocket upgrade", async () => {
    const docId = newDocId();
    expect(await upgradeStatus(`${server.wsUrl}/ws/${docId}?token=not-a-jwt`)).toBe(401);
    expect(await upgradeStatus(`${server.wsUrl}/ws/${docId}`)).toBe(401);
  });
});

/** The HTTP status a plain WebSocket client gets when the server refuses the upgrade (101 if it accepts). */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("unexpected-response", (_request, response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.once("open", () => {
      resolve(101);
      ws.close();
    });
    ws.once("error", reject);
  });
}
