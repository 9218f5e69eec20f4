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
import { waitUntil } from "./scriptedServer";
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
    // The server has stored it, so its ack has gone out (and been dropped): stored, only the ack was lost.
    expect(await serverText(docId)).toBe("before during");
    expect(provider.hasUnsavedChanges).toBe(true);
    expect(provider.saveState).toBe("saving");
    expect(resolved).toBe(false);

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
    const attempts = proxy.accepted;
    await waitUntil("two refused reconnection attempts", () => proxy.accepted >= attempts + 2, 30_000);
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
    let firstExpiresAt = 0;
    const provider = provide(docId, {
      token: async () => {
        calls++;
        const minted = await mintToken(server.url, docId, "write", { ttlSeconds: 2 });
        firstExpiresAt ||= Date.parse(String(minted.expiresAt));
        return minted.token;
      },
    });
    await synced(provider);
    expect(calls).toBe(1);
    // Past the first token's expiry (a second of margin for the server's clock): the open connection is unaffected.
    await waitUntil("the first token to expire", () => Date.now() > firstExpiresAt + 1000, 30_000);
    provider.doc.getText("t").insert(0, "with an expired token ");
    await provider.whenSaved();
    expect(calls).toBe(1);
    proxy.cut();
    await waitUntil("a reconnect with a fresh token", () => calls === 2 && provider.synced, 30_000);
    provider.doc.getText("t").insert(provider.doc.getText("t").length, "after refresh");
    await provider.whenSaved();
    expect(await serverText(docId)).toBe("with an expired token after refresh");
  });

  test("after the server refuses an expired token, the token function is asked again", async () => {
    const docId = newDocId();
    const minted = await mintToken(server.url, docId, "write", { ttlSeconds: 1 });
    const expired = minted.token;
    await waitUntil("the token to expire", () => Date.now() > Date.parse(String(minted.expiresAt)) + 1000, 30_000);
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
    let pongs = 0;
    class CountingWebSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        this.on("message", (data, isBinary) => !isBinary && data.toString() === "pong" && pongs++);
      }
    }
    const provider = provide(docId, { heartbeat: { intervalMs: 150, timeoutMs: 300 }, WebSocketPolyfill: CountingWebSocket });
    await synced(provider);
    const upgrades = proxy.upgrades;
    // Several answered heartbeats in a row: each was a chance to find the connection dead.
    await waitUntil("five answered heartbeats", () => pongs >= 5, 30_000);
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
    const ended = new Promise<{ code: number; retryInMs: number | null }>((resolve) => provider.on("connection-close", resolve));
    sockets[0].send(new Uint8Array([0x00, 0x07, 0x00])); // sync message of an unknown sub-type
    expect((await closed).code).toBe(4415);
    const upgrades = proxy.upgrades;
    // The decision itself, reported with the close: no reconnect is scheduled.
    expect(await ended).toMatchObject({ code: 4415, retryInMs: null });
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
