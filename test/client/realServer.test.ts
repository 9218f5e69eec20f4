// The SDK against a real `wrangler dev`: exact saved state when the network fails, offline edits,
// token refresh, permanent closes and oversized updates. A TCP proxy in front of the server plays
// the network.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { WebSocket } from "ws";
import * as Y from "yjs";
import { QuireProvider, type QuireProviderOptions, type SaveState } from "../../client/src/index";
import { MAX_MESSAGE_BYTES } from "../../src/protocol/closeCodes";
import { mintToken } from "../helpers/tokens";
import { startWranglerDev, type WranglerDev } from "../helpers/wranglerDev";
import { sleep, waitUntil } from "./scriptedServer";
import { TcpProxy } from "./tcpProxy";

let server: WranglerDev;
let proxy: TcpProxy;
const providers: QuireProvider[] = [];
let docCount = 0;

beforeAll(async () => {
  // One test stores a 36 MB document, over the default MAX_DOCUMENT_BYTES.
  server = await startWranglerDev({ vars: { MAX_DOCUMENT_BYTES: String(64 * 1024 * 1024) } });
  proxy = await TcpProxy.start(server.url);
});
afterAll(async () => {
  await proxy?.close();
  await server?.destroy();
});
afterEach(() => {
  for (const provider of providers.splice(0)) provider.destroy();
  proxy.releaseReplies();
  proxy.refuseWebSockets = false;
});

const newDocId = () => `e2e-sdk-${Date.now()}-${++docCount}`;
const writeToken = (docId: string, ttlSeconds?: number) => async () => (await mintToken(server.url, docId, "write", { ttlSeconds })).token;

function provide(docId: string, options: Partial<QuireProviderOptions> = {}): QuireProvider {
  const provider = new QuireProvider({
    url: proxy.url,
    docId,
    doc: new Y.Doc(),
    token: writeToken(docId),
    WebSocketPolyfill: WebSocket,
    crossTab: false,
    backoff: { initialDelayMs: 50, maxDelayMs: 400 },
    ...options,
  });
  providers.push(provider);
  return provider;
}

/** The document's text as a fresh client sees it, straight from the server (not through the proxy). */
async function serverText(docId: string): Promise<string> {
  const reader = new QuireProvider({ url: server.url, docId, doc: new Y.Doc(), token: writeToken(docId), WebSocketPolyfill: WebSocket, crossTab: false });
  try {
    await waitUntil("a fresh client to sync", () => reader.synced, 20_000);
    return reader.doc.getText("t").toString();
  } finally {
    reader.destroy();
  }
}

const synced = (provider: QuireProvider) => waitUntil("the provider to sync", () => provider.synced, 20_000);

describe("QuireProvider against wrangler dev", () => {
  test("an update whose ack was lost with the connection stays unsaved until a new connection acknowledges it", async () => {
    const docId = newDocId();
    const provider = provide(docId, { heartbeat: false });
    await synced(provider);
    provider.doc.getText("t").insert(0, "before ");
    await provider.whenSaved();

    proxy.holdReplies(); // the server gets the update and acknowledges it; the ack never arrives
    provider.doc.getText("t").insert(7, "during");
    const saved = provider.whenSaved();
    let resolved = false;
    void saved.then(() => (resolved = true));
    await sleep(500);
    expect(provider.hasUnsavedChanges).toBe(true);
    expect(provider.saveState).toBe("saving");
    expect(resolved).toBe(false);
    expect(await serverText(docId)).toBe("before during"); // stored: only the ack was lost

    const states: SaveState[] = [];
    provider.on("save-state", ({ state }) => states.push(state));
    const upgradesBefore = proxy.upgrades;
    proxy.cut();
    proxy.releaseReplies();
    await waitUntil("the loss to be noticed", () => provider.status !== "connected");
    expect(provider.saveState).toBe("unsaved");
    expect(resolved).toBe(false);

    await saved;
    expect(proxy.upgrades).toBe(upgradesBefore + 1);
    expect(states).toEqual(["unsaved", "saving", "saved"]);
    expect(provider.hasUnsavedChanges).toBe(false);
    expect(await serverText(docId)).toBe("before during");
  });

  test("edits made while the server is unreachable are delivered and saved after reconnecting", async () => {
    const docId = newDocId();
    const provider = provide(docId);
    await synced(provider);
    provider.doc.getText("t").insert(0, "online. ");
    await provider.whenSaved();

    proxy.refuseWebSockets = true;
    proxy.cut();
    await waitUntil("disconnected", () => provider.status !== "connected");
    provider.doc.getText("t").insert(8, "offline one. ");
    provider.doc.getText("t").insert(21, "offline two.");
    await sleep(1000); // several refused attempts
    expect(provider.saveState).toBe("unsaved");
    expect(await serverText(docId)).toBe("online. ");

    proxy.refuseWebSockets = false;
    await provider.whenSaved();
    expect(await serverText(docId)).toBe("online. offline one. offline two.");
  });

  test("a saved edit survives a server restart, and the provider reconnects by itself", async () => {
    const docId = newDocId();
    const provider = provide(docId);
    await synced(provider);
    provider.doc.getText("t").insert(0, "durable");
    await provider.whenSaved();
    await server.restart();
    await waitUntil("a reconnect after the restart", () => provider.synced && provider.status === "connected", 30_000);
    expect(provider.hasUnsavedChanges).toBe(false);
    expect(await serverText(docId)).toBe("durable");
  });

  test("the token function is called again on reconnect, so an expired token is replaced", async () => {
    const docId = newDocId();
    let calls = 0;
    const provider = provide(docId, {
      token: async () => {
        calls++;
        return (await mintToken(server.url, docId, "write", { ttlSeconds: 2 })).token;
      },
    });
    await synced(provider);
    expect(calls).toBe(1);
    await sleep(3000); // the first token is now expired; the open connection is unaffected
    proxy.cut();
    await waitUntil("a reconnect with a fresh token", () => calls === 2 && provider.synced, 10_000);
    provider.doc.getText("t").insert(0, "after refresh");
    await provider.whenSaved();
    expect(await serverText(docId)).toBe("after refresh");
  });

  test("after the server refuses an expired token, the token function is asked again", async () => {
    const docId = newDocId();
    const expired = (await mintToken(server.url, docId, "write", { ttlSeconds: 1 })).token;
    await sleep(2000);
    const given: string[] = [];
    const provider = provide(docId, {
      token: async () => {
        const token = given.length === 0 ? expired : (await mintToken(server.url, docId, "write")).token;
        given.push(token);
        return token;
      },
    });
    const closes: number[] = [];
    provider.on("connection-close", ({ code }) => closes.push(code));
    await synced(provider);
    expect(given.length).toBe(2);
    expect(closes.length).toBe(1); // the refused upgrade
  });

  test("the server's runtime answers heartbeats, so a quiet healthy connection is kept", async () => {
    const docId = newDocId();
    const provider = provide(docId, { heartbeat: { intervalMs: 150, timeoutMs: 300 } });
    await synced(provider);
    const upgrades = proxy.upgrades;
    await sleep(2000);
    expect(proxy.upgrades).toBe(upgrades);
    expect(provider.status).toBe("connected");
  });

  test("a connection that silently stops delivering is found dead by the heartbeat and replaced", async () => {
    const docId = newDocId();
    const provider = provide(docId, { heartbeat: { intervalMs: 150, timeoutMs: 300 } });
    await synced(provider);
    const closes: number[] = [];
    provider.on("connection-close", ({ code }) => closes.push(code));
    proxy.holdReplies(); // the TCP connection stays up; nothing comes back
    await waitUntil("the heartbeat to give up", () => closes.length > 0, 5000);
    proxy.releaseReplies();
    expect(closes[0]).toBe(4000);
    await waitUntil("a new connection", () => provider.synced, 10_000);
    provider.doc.getText("t").insert(0, "still here");
    await provider.whenSaved();
    expect(await serverText(docId)).toBe("still here");
  });

  test("a permanent close from the server stops reconnecting and is reported", async () => {
    const docId = newDocId();
    const sockets: WebSocket[] = [];
    class RecordingWebSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
      }
    }
    const provider = provide(docId, { WebSocketPolyfill: RecordingWebSocket });
    await synced(provider);
    const closed = new Promise<{ code: number }>((resolve) => provider.on("closed", resolve));
    sockets[0].send(new Uint8Array([0x00, 0x07, 0x00])); // sync message of an unknown sub-type
    expect((await closed).code).toBe(4415);
    const upgrades = proxy.upgrades;
    await sleep(1500);
    expect(proxy.upgrades).toBe(upgrades);
    expect(sockets).toHaveLength(1);
    expect(provider.status).toBe("disconnected");
  });

  test("an update larger than the runtime's 32 MiB message limit is split, stored and read back whole", async () => {
    const docId = newDocId();
    const provider = provide(docId);
    await synced(provider);
    const big = "The quick brown fox jumps over the lazy dog. ".repeat(800_000); // 36 MB in one insertion
    expect(big.length).toBeGreaterThan(MAX_MESSAGE_BYTES);
    provider.doc.getText("t").insert(0, big);
    await provider.whenSaved();
    const text = await serverText(docId);
    expect(text.length).toBe(big.length);
    expect(text === big).toBe(true);
  });
});
