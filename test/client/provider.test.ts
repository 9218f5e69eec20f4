// The provider's state machine against a scripted server on a real local socket: connection
// lifecycle, saved state, reconnects, heartbeat, presence.
import { type AddressInfo, createServer, type Socket } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { WebSocket } from "ws";
import * as Y from "yjs";
import * as awarenessProtocol from "y-protocols/awareness";
import { QuireClosedError, QuireProvider, type QuireProviderOptions } from "../../client/src/index";
import { decodeAwarenessUpdate } from "../../src/protocol/awareness";
import { encodeAck, encodeAwareness, encodePermissionDenied, encodeUpdate } from "../../src/protocol/messages";
import { type ScriptedConnection, ScriptedServer, type ServerScript, waitUntil } from "./scriptedServer";

let server: ScriptedServer | undefined;
const providers: QuireProvider[] = [];

afterEach(async () => {
  for (const provider of providers.splice(0)) provider.destroy();
  await server?.close();
  server = undefined;
});

function provide(options: Partial<QuireProviderOptions> = {}): QuireProvider {
  const provider = new QuireProvider({
    url: server!.url,
    docId: "doc one",
    doc: new Y.Doc(),
    token: "t0ken",
    WebSocketPolyfill: WebSocket,
    crossTab: false,
    backoff: { initialDelayMs: 20, maxDelayMs: 100 },
    ...options,
  });
  providers.push(provider);
  return provider;
}

const text = (provider: QuireProvider) => provider.doc.getText("t");

let controls = 0;
/**
 * The server sends a change the client has not seen; once the client has applied it, it has also
 * handled every frame the server sent before it.
 */
async function controlRoundTrip(connection: ScriptedConnection, provider: QuireProvider): Promise<void> {
  const key = `control-${++controls}`;
  const other = new Y.Doc();
  let update: Uint8Array | null = null;
  other.once("update", (u: Uint8Array) => (update = u));
  other.getMap("control").set(key, true);
  connection.send(encodeUpdate(update!));
  await waitUntil("the control change to be applied", () => provider.doc.getMap("control").get(key) === true);
}

describe("QuireProvider connection", () => {
  test("destroying a provider whose handshake is still pending raises no error", async () => {
    // A TCP server that accepts and never answers keeps the socket in its handshake.
    const sockets: Socket[] = [];
    let requested = false;
    let ended = false;
    const silent = createServer((socket) => {
      sockets.push(socket);
      socket.once("data", () => (requested = true));
      socket.once("close", () => (ended = true));
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    const errors: unknown[] = [];
    const record = (error: unknown) => errors.push(error);
    process.on("uncaughtException", record);
    try {
      const provider = new QuireProvider({ url: `http://127.0.0.1:${port}`, docId: "pending", doc: new Y.Doc(), token: "t", WebSocketPolyfill: WebSocket, crossTab: false });
      await waitUntil("the upgrade request to arrive", () => requested);
      provider.destroy();
      // The client's socket is torn down once the server sees it go; any error of the abandoned
      // socket is emitted before that.
      await waitUntil("the abandoned socket to be gone", () => ended);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("uncaughtException", record);
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
    expect(errors).toEqual([]);
  });

  test("connects to /ws/:docId with the token and the ack extension, then syncs", async () => {
    server = await ScriptedServer.start();
    const statuses: string[] = [];
    const provider = provide({ connect: false });
    provider.on("status", ({ status }) => statuses.push(status));
    provider.connect();
    await waitUntil("synced", () => provider.synced);
    expect(server.latest.url.pathname).toBe("/ws/doc%20one");
    expect(server.latest.url.searchParams.get("token")).toBe("t0ken");
    expect(server.latest.url.searchParams.get("ext")).toBe("ack");
    expect(statuses).toEqual(["connecting", "connected"]);
    expect(server.latest.messages[0].type).toBe("sync-step1");
  });

  test("a permanent close code stops reconnecting, emits closed and rejects whenSaved", async () => {
    server = await ScriptedServer.start({ ack: false, onConnection: (c) => setTimeout(() => c.close(4410, "document deleted"), 50) });
    const provider = provide();
    const closed = new Promise<{ code: number; reason: string }>((resolve) => provider.on("closed", resolve));
    const ended = new Promise<{ retryInMs: number | null }>((resolve) => provider.on("connection-close", resolve));
    await waitUntil("connected", () => provider.status === "connected");
    text(provider).insert(0, "never saved");
    const saved = provider.whenSaved();
    expect(await closed).toEqual({ code: 4410, reason: "document deleted" });
    await expect(saved).rejects.toBeInstanceOf(QuireClosedError);
    await expect(saved).rejects.toMatchObject({ code: 4410, reason: "document deleted" });
    // The decision itself, reported with the close: no reconnect is scheduled.
    expect((await ended).retryInMs).toBeNull();
    expect(server.connections).toHaveLength(1);
    expect(provider.status).toBe("disconnected");
    expect(provider.closedWith).toEqual({ code: 4410, reason: "document deleted" });
    expect(provider.saveState).toBe("unsaved");
  });

  test("retryable closes reconnect with backoff, calling the token function before every attempt", async () => {
    let accepted = 0;
    server = await ScriptedServer.start({ onConnection: (c) => ++accepted <= 3 && c.close(4503, "try again later") });
    let tokenCalls = 0;
    const retries: Array<number | null> = [];
    const provider = provide({ token: async () => `token-${++tokenCalls}` });
    provider.on("connection-close", ({ retryInMs }) => retries.push(retryInMs));
    await waitUntil("a connection that stays", () => server!.connections.length === 4 && provider.synced);
    expect(tokenCalls).toBe(4);
    expect(server.connections.map((c) => c.url.searchParams.get("token"))).toEqual(["token-1", "token-2", "token-3", "token-4"]);
    expect(retries).toHaveLength(3);
    for (const delay of retries) {
      expect(delay).not.toBeNull();
      expect(delay!).toBeLessThan(100);
    }
  });

  test("a token function that fails is retried with backoff", async () => {
    server = await ScriptedServer.start();
    let calls = 0;
    const errors: unknown[] = [];
    const provider = provide({
      token: async () => {
        if (++calls < 3) throw new Error("token service down");
        return "finally";
      },
    });
    provider.on("connection-error", ({ error }) => errors.push(error));
    await waitUntil("synced", () => provider.synced);
    expect(calls).toBe(3);
    expect(errors).toHaveLength(2);
    expect(server.latest.url.searchParams.get("token")).toBe("finally");
  });

  test("the heartbeat pings a quiet connection and replaces one whose pings go unanswered", async () => {
    server = await ScriptedServer.start({ pong: false });
    const provider = provide({ heartbeat: { intervalMs: 100, timeoutMs: 150 } });
    await waitUntil("a second connection", () => server!.connections.length >= 2, 3000);
    expect(server.connections[0].texts).toContain("ping");
    expect(provider.status).not.toBe("disconnected");
  });

  test("an answered heartbeat keeps the connection", async () => {
    server = await ScriptedServer.start({ pong: true });
    const provider = provide({ heartbeat: { intervalMs: 50, timeoutMs: 100 } });
    await waitUntil("synced", () => provider.synced);
    // Several answered pings in a row: each was a chance to find the connection dead.
    await waitUntil("four pings", () => server!.latest.texts.filter((t) => t === "ping").length > 3);
    expect(server.connections).toHaveLength(1);
  });

  test("the browser's online event skips the remaining backoff wait", async () => {
    const globals = globalThis as { window?: EventTarget };
    globals.window = new EventTarget();
    try {
      let accepted = 0;
      server = await ScriptedServer.start({ onConnection: (c) => ++accepted === 1 && c.close(4503, "restarting") });
      const provider = provide({ backoff: { initialDelayMs: 60_000, maxDelayMs: 60_000 } });
      let retryInMs: number | null = null;
      provider.on("connection-close", (event) => (retryInMs = event.retryInMs));
      await waitUntil("the first close", () => retryInMs !== null);
      globals.window.dispatchEvent(new Event("online"));
      await waitUntil("an immediate reconnect", () => provider.synced, 1000);
      expect(server.connections).toHaveLength(2);
    } finally {
      delete globals.window;
    }
  });
});

describe("QuireProvider saved state", () => {
  test("a change is saving until the server acknowledges a request sent after it", async () => {
    server = await ScriptedServer.start({ ack: false });
    const provider = provide();
    await waitUntil("synced", () => provider.synced);
    const states: string[] = [];
    provider.on("save-state", ({ state }) => states.push(state));
    text(provider).insert(0, "hello");
    expect(provider.hasUnsavedChanges).toBe(true);
    await waitUntil("an ack request", () => server!.latest.messages.some((m) => m.type === "ack-request"));
    await controlRoundTrip(server.latest, provider);
    expect(provider.saveState).toBe("saving");
    const messages = server.latest.messages;
    const update = messages.findIndex((m) => m.type === "update");
    const request = messages.findLastIndex((m) => m.type === "ack-request");
    expect(update).toBeGreaterThan(-1);
    expect(request).toBeGreaterThan(update);
    server.latest.send(encodeAck((messages[request] as { seq: number }).seq));
    await provider.whenSaved();
    expect(provider.hasUnsavedChanges).toBe(false);
    expect(states).toEqual(["saving", "saved"]);
  });

  test("an unacknowledged change is resent after the connection drops, and saved by the next connection's ack", async () => {
    let accepted = 0;
    server = await ScriptedServer.start({
      onConnection: (c) => {
        // The first connection loses what it receives and never acknowledges, like a server that crashed.
        if (++accepted === 1) c.ack = c.store = false;
      },
    });
    const provider = provide();
    await waitUntil("synced", () => provider.synced);
    text(provider).insert(0, "precious");
    await waitUntil("the update and its ack request to arrive", () => server!.connections[0].messages.some((m) => m.type === "ack-request"));
    expect(provider.hasUnsavedChanges).toBe(true);
    expect(server.doc.getText("t").toString()).toBe("");
    server.connections[0].terminate();
    await provider.whenSaved();
    expect(server.connections).toHaveLength(2);
    expect(server.doc.getText("t").toString()).toBe("precious");
    const step2 = server.connections[1].messages.find((m) => m.type === "sync-step2") as { update: Uint8Array };
    const resent = new Y.Doc();
    Y.applyUpdate(resent, step2.update);
    expect(resent.getText("t").toString()).toBe("precious");
  });

  test("edits made while disconnected are unsaved, then sent by the sync exchange of the next connection", async () => {
    server = await ScriptedServer.start();
    const provider = provide();
    await waitUntil("synced", () => provider.synced);
    provider.disconnect();
    text(provider).insert(0, "offline edit");
    expect(provider.saveState).toBe("unsaved");
    await server.latest.closed; // everything sent before the close has arrived
    expect(server.doc.getText("t").toString()).toBe("");
    provider.connect();
    await provider.whenSaved();
    expect(server.doc.getText("t").toString()).toBe("offline edit");
    expect(provider.saveState).toBe("saved");
  });

  test("a permission denial keeps the changes unsaved although the server acknowledges", async () => {
    server = await ScriptedServer.start({
      onConnection: (c) => {
        c.ack = false;
      },
    });
    const provider = provide();
    await waitUntil("synced", () => provider.synced);
    const denied = new Promise<{ reason: string }>((resolve) => provider.on("permission-denied", resolve));
    text(provider).insert(0, "not allowed");
    await waitUntil("an ack request", () => server!.latest.messages.some((m) => m.type === "ack-request"));
    const request = server.latest.messages.find((m) => m.type === "ack-request") as { seq: number };
    server.latest.send(encodePermissionDenied("read-only access"));
    server.latest.send(encodeAck(request.seq));
    expect(await denied).toEqual({ reason: "read-only access" });
    await controlRoundTrip(server.latest, provider); // the ack after the denial has been handled too
    expect(provider.hasUnsavedChanges).toBe(true);
    expect(provider.saveState).toBe("unsaved");
  });

  test("an update larger than the message limit goes out in parts that each fit", async () => {
    server = await ScriptedServer.start();
    const provider = provide({ maxMessageBytes: 16 * 1024 });
    await waitUntil("synced", () => provider.synced);
    const big = "0123456789abcdef".repeat(8 * 1024); // 128 KiB in one insertion
    text(provider).insert(0, big);
    await provider.whenSaved();
    const updates = server.latest.messages.filter((m) => m.type === "update") as Array<{ update: Uint8Array }>;
    expect(updates.length).toBeGreaterThanOrEqual(8);
    for (const { update } of updates) expect(update.byteLength).toBeLessThanOrEqual(16 * 1024);
    expect(server.doc.getText("t").toString()).toBe(big);
  });
});

describe("QuireProvider whenSaved settles", () => {
  /** A provider with an unsaved change on a server that never acknowledges. */
  async function unsavedProvider(script: ServerScript = {}) {
    server = await ScriptedServer.start({ ack: false, ...script });
    const provider = provide();
    await waitUntil("synced", () => provider.synced);
    text(provider).insert(0, "not yet saved");
    return provider;
  }

  test("called after a permanent close, it rejects at once with the close's code and reason", async () => {
    const provider = await unsavedProvider();
    const closed = new Promise((resolve) => provider.on("closed", resolve));
    server!.latest.close(4403, "access revoked");
    await closed;
    await expect(provider.whenSaved()).rejects.toSatisfy(
      (error) => error instanceof QuireClosedError && error.code === 4403 && error.reason === "access revoked",
    );
  });

  test("after a permanent close, connect() makes it wait again and resolve once the changes are stored", async () => {
    let accepted = 0;
    const provider = await unsavedProvider({ onConnection: (c) => void (c.ack = ++accepted > 1) });
    server!.latest.close(4403, "access revoked");
    await waitUntil("the permanent close", () => provider.closedWith !== null);
    await expect(provider.whenSaved()).rejects.toBeInstanceOf(QuireClosedError);
    provider.connect();
    await provider.whenSaved();
    expect(server!.doc.getText("t").toString()).toBe("not yet saved");
  });

  test("pending at destroy(), it rejects with QuireClosedError 1000 \"destroyed\"", async () => {
    const provider = await unsavedProvider();
    const saved = provider.whenSaved();
    provider.destroy();
    await expect(saved).rejects.toSatisfy(
      (error) => error instanceof QuireClosedError && error.code === 1000 && error.reason === QuireClosedError.DESTROYED,
    );
  });

  test("called after destroy(), it rejects at once with unsaved changes and resolves with none", async () => {
    const unsaved = await unsavedProvider();
    unsaved.destroy();
    await expect(unsaved.whenSaved()).rejects.toSatisfy(
      (error) => error instanceof QuireClosedError && error.reason === QuireClosedError.DESTROYED,
    );
    const saved = provide();
    await waitUntil("synced", () => saved.synced);
    saved.destroy();
    await expect(saved.whenSaved()).resolves.toBeUndefined();
  });
});

describe("QuireProvider presence", () => {
  test("sends only its own state, applies peers' states, and drops them when the connection is lost", async () => {
    server = await ScriptedServer.start();
    const provider = provide();
    provider.awareness.setLocalStateField("user", { name: "Ada" });
    await waitUntil("synced", () => provider.synced);

    const peer = new awarenessProtocol.Awareness(new Y.Doc());
    peer.setLocalStateField("user", { name: "Grace" });
    server.latest.send(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(peer, [peer.clientID])));
    await waitUntil("the peer's state", () => provider.awareness.getStates().has(peer.clientID));
    provider.awareness.setLocalStateField("cursor", { at: 3 });
    const sentCursor = () =>
      server!.latest.messages.some((m) => m.type === "awareness" && decodeAwarenessUpdate(m.update).some((entry) => entry.state.includes("cursor")));
    await waitUntil("the cursor to arrive", sentCursor);

    const sentIds = server.latest.messages
      .filter((m) => m.type === "awareness")
      .flatMap((m) => decodeAwarenessUpdate((m as { update: Uint8Array }).update).map((entry) => entry.clientId));
    expect(sentIds.length).toBeGreaterThanOrEqual(2);
    expect(new Set(sentIds)).toEqual(new Set([provider.doc.clientID]));

    server.latest.terminate();
    await waitUntil("the peer's state removed", () => !provider.awareness.getStates().has(peer.clientID));
    expect(provider.awareness.getLocalState()).toMatchObject({ user: { name: "Ada" } });
    peer.destroy();
  });
});
