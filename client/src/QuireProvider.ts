// The Quire provider: keeps a Y.Doc in sync with a Quire server over one WebSocket and knows, from
// the server's acknowledgements, exactly which local changes are durably saved.
import { ObservableV2 } from "lib0/observable";
import * as awarenessProtocol from "y-protocols/awareness";
import * as Y from "yjs";
import { isRetryable, MAX_MESSAGE_BYTES } from "../../src/protocol/closeCodes";
import { decodeMessage, encodeAckRequest, encodeAwareness, encodeSyncStep1, encodeSyncStep2, encodeUpdate, type Message } from "../../src/protocol/messages";
import { Backoff, type BackoffOptions, DEFAULT_BACKOFF } from "./backoff";
import { CrossTabSync } from "./crossTab";
import { DEFAULT_HEARTBEAT, Heartbeat, type HeartbeatOptions } from "./heartbeat";
import { type OfflineStore, openOfflineStore } from "./offline";
import { type SaveState, SaveTracker } from "./saveTracker";
import { socketUrl } from "./socketUrl";
import { splitUpdate } from "./splitUpdate";

export type ConnectionStatus = "connecting" | "connected" | "disconnected";

/** The part of the WebSocket API the provider uses; the browser's, `ws` and undici's all fit. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: any) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** A token, or a function that returns one; the function is called before every connection attempt. */
export type TokenSource = string | (() => string | Promise<string>);

export interface QuireProviderOptions {
  /** The server's origin: `https://quire.example.com`, `wss://...` or `http://localhost:8787`. */
  url: string;
  docId: string;
  doc: Y.Doc;
  /** A token string, or an (async) function called on every connect and reconnect. */
  token: TokenSource;
  /** Presence to share; by default a new Awareness for `doc`, destroyed with the provider. */
  awareness?: awarenessProtocol.Awareness;
  /** Connect at once. Default true; with false, call `connect()`. */
  connect?: boolean;
  /** The WebSocket class, for Node (`ws`) or tests. Default: the global WebSocket. */
  WebSocketPolyfill?: WebSocketConstructor;
  /** Reconnect delays: full-jitter exponential backoff. */
  backoff?: Partial<BackoffOptions>;
  /** Dead-connection detection through the server's auto-answered ping; false turns it off. */
  heartbeat?: Partial<HeartbeatOptions> | false;
  /** Sync with other tabs through BroadcastChannel. Default true in browsers, false elsewhere. */
  crossTab?: boolean;
  /** Keep the document in IndexedDB (y-indexeddb). Default false; a string names the database. */
  offline?: boolean | string;
  /** Updates larger than this are split into several messages. Default 1 MiB. */
  maxMessageBytes?: number;
}

export interface QuireProviderEvents {
  /** The connection status changed. */
  status: (event: { status: ConnectionStatus }) => void;
  /** The document received the server's state (true) or the connection was lost (false). */
  synced: (synced: boolean) => void;
  /** `saved`, `saving` (sent, not yet acknowledged) or `unsaved` (waiting for a connection). */
  "save-state": (event: { state: SaveState }) => void;
  /** The server closed with a permanent code (4400-4499); the provider will not reconnect. */
  closed: (event: { code: number; reason: string }) => void;
  /** The server refused our updates (read-only token); they stay unsaved. */
  "permission-denied": (event: { reason: string }) => void;
  /** One connection ended; `retryInMs` is null when no reconnect is scheduled. */
  "connection-close": (event: { code: number; reason: string; retryInMs: number | null }) => void;
  "connection-error": (event: { error: unknown }) => void;
}

/** Rejects `whenSaved()` when the changes can no longer be saved through this provider. */
export class QuireClosedError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`the connection was closed for good (${code}${reason ? `: ${reason}` : ""})`);
    this.name = "QuireClosedError";
  }
}

const OPEN = 1;
/** Client-side close code when the heartbeat finds the connection dead (retryable). */
const HEARTBEAT_TIMEOUT = 4000;
const FRAME_HEADER_BYTES = 16;

/**
 * Connects a Y.Doc to a Quire document.
 *
 * @example
 * const doc = new Y.Doc();
 * const provider = new QuireProvider({
 *   url: "https://quire.example.com",
 *   docId: "my-doc",
 *   doc,
 *   token: async () => (await fetch("/api/quire-token?doc=my-doc").then((r) => r.json())).token,
 * });
 * provider.awareness.setLocalStateField("user", { name: "Ada", color: "#f783ac" });
 * provider.on("save-state", ({ state }) => (indicator.textContent = state));
 * await provider.whenSaved();
 */
export class QuireProvider extends ObservableV2<QuireProviderEvents> {
  readonly doc: Y.Doc;
  readonly docId: string;
  readonly url: string;
  readonly awareness: awarenessProtocol.Awareness;
  /** Resolves once the IndexedDB copy is applied (at once without offline persistence). */
  readonly whenOfflineLoaded: Promise<void>;
  status: ConnectionStatus = "disconnected";
  synced = false;
  /** Set by a permanent close: the code and reason. `connect()` clears it and tries again. */
  closedWith: { code: number; reason: string } | null = null;

  private readonly token: TokenSource;
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly maxPayloadBytes: number;
  private readonly ownsAwareness: boolean;
  private readonly saves: SaveTracker;
  private readonly backoff: Backoff;
  private readonly heartbeat: Heartbeat | null;
  private readonly crossTab: CrossTabSync | null;
  private offlineStore: OfflineStore | null = null;
  private ws: WebSocketLike | null = null;
  private shouldConnect = false;
  private destroyed = false;
  private attemptId = 0;
  private openedAt: number | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private ackScheduled = false;
  private lastSaveState: SaveState = "saved";
  /** Peers whose presence came from the server, removed when the connection is lost. */
  private readonly serverPeers = new Set<number>();
  private presenceBeforeHide: Record<string, unknown> | null = null;

  constructor(options: QuireProviderOptions) {
    super();
    this.doc = options.doc;
    this.docId = options.docId;
    this.url = options.url;
    this.token = options.token;
    const WebSocketImpl = options.WebSocketPolyfill ?? (globalThis.WebSocket as unknown as WebSocketConstructor | undefined);
    if (!WebSocketImpl) throw new TypeError("no WebSocket implementation: pass WebSocketPolyfill");
    this.WebSocketImpl = WebSocketImpl;
    this.maxPayloadBytes = Math.min(options.maxMessageBytes ?? 1024 * 1024, MAX_MESSAGE_BYTES) - FRAME_HEADER_BYTES;
    this.ownsAwareness = !options.awareness;
    this.awareness = options.awareness ?? new awarenessProtocol.Awareness(this.doc);
    this.saves = new SaveTracker(() => this.emitSaveState());
    this.backoff = new Backoff({ ...DEFAULT_BACKOFF, ...options.backoff });
    this.heartbeat =
      options.heartbeat === false
        ? null
        : new Heartbeat({ ...DEFAULT_HEARTBEAT, ...options.heartbeat }, () => this.sendText("ping"), () => this.dropSocket(HEARTBEAT_TIMEOUT, "heartbeat timeout"));

    this.doc.on("update", this.onDocUpdate);
    this.doc.on("destroy", this.onDocDestroy);
    this.awareness.on("update", this.onAwarenessUpdate);
    const crossTab = options.crossTab ?? (typeof window !== "undefined" && typeof BroadcastChannel !== "undefined");
    this.crossTab = crossTab ? new CrossTabSync(`quire:${this.url}:${this.docId}`, this.doc, this.awareness, this) : null;
    this.whenOfflineLoaded = this.openOffline(options.offline ?? false);
    this.addWindowListeners();
    if (options.connect ?? true) this.connect();
  }

  /** Whether some local change is not yet acknowledged as durably stored by the server. */
  get hasUnsavedChanges(): boolean {
    return this.saves.hasUnsavedChanges;
  }

  get saveState(): SaveState {
    return this.saves.state(this.status === "connected");
  }

  /**
   * Resolves once every change made before the call is durably stored on the server, across any
   * number of reconnects. Rejects with QuireClosedError after a permanent close, or on destroy.
   */
  whenSaved(): Promise<void> {
    return this.saves.whenSaved();
  }

  /** Starts connecting (again). Also the way to retry after a permanent close. */
  connect(): void {
    if (this.destroyed) throw new Error("the provider is destroyed");
    this.shouldConnect = true;
    this.closedWith = null;
    if (this.ws || this.status === "connecting") return;
    this.clearReconnectTimer();
    void this.open();
  }

  /** Closes the connection and stops reconnecting. Unsaved changes stay unsaved until `connect()`. */
  disconnect(): void {
    this.shouldConnect = false;
    this.attemptId++;
    this.clearReconnectTimer();
    if (this.ws) this.dropSocket(1000, "client disconnect");
    else this.setStatus("disconnected");
  }

  override destroy(): void {
    if (this.destroyed) return;
    this.disconnect();
    this.destroyed = true;
    this.doc.off("update", this.onDocUpdate);
    this.doc.off("destroy", this.onDocDestroy);
    this.awareness.off("update", this.onAwarenessUpdate);
    this.removeWindowListeners();
    this.crossTab?.destroy();
    void this.offlineStore?.destroy();
    if (this.ownsAwareness) this.awareness.destroy();
    this.saves.fail(new Error("the provider was destroyed"));
    super.destroy();
  }

  private async open(): Promise<void> {
    const attempt = ++this.attemptId;
    this.setStatus("connecting");
    let ws: WebSocketLike;
    try {
      const token = typeof this.token === "function" ? await this.token() : this.token;
      if (attempt !== this.attemptId || !this.shouldConnect) return;
      ws = new this.WebSocketImpl(socketUrl(this.url, this.docId, token));
    } catch (error) {
      if (attempt !== this.attemptId) return;
      this.emit("connection-error", [{ error }]);
      this.connectionEnded(1006, "connection attempt failed");
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => this.ws === ws && this.onOpen();
    ws.onmessage = (event) => this.ws === ws && this.onMessage(event.data);
    ws.onclose = (event) => this.ws === ws && this.connectionEnded(event.code, event.reason);
    ws.onerror = (error) => this.ws === ws && this.emit("connection-error", [{ error }]);
  }

  private onOpen(): void {
    this.openedAt = Date.now();
    this.saves.connectionOpened();
    this.setStatus("connected");
    this.heartbeat?.start();
    this.send(encodeSyncStep1(Y.encodeStateVector(this.doc)));
    if (this.awareness.getLocalState() !== null) this.sendLocalPresence();
    this.emitSaveState();
  }

  private onMessage(data: unknown): void {
    this.heartbeat?.received();
    if (typeof data === "string") return; // "pong"
    let message: Message;
    try {
      message = decodeMessage(toBytes(data));
    } catch (error) {
      this.emit("connection-error", [{ error }]);
      return;
    }
    try {
      this.handle(message);
    } catch (error) {
      this.emit("connection-error", [{ error }]);
    }
  }

  private handle(message: Message): void {
    switch (message.type) {
      case "sync-step1":
        // Our reply carries every change the server lacks, so from here on this connection
        // covers all local changes and an ack request can vouch for them.
        this.sendUpdate(Y.encodeStateAsUpdate(this.doc, message.stateVector), encodeSyncStep2);
        this.saves.coverAll();
        this.requestAck();
        this.emitSaveState();
        return;
      case "sync-step2":
        Y.applyUpdate(this.doc, message.update, this);
        this.setSynced(true);
        return;
      case "update":
        Y.applyUpdate(this.doc, message.update, this);
        return;
      case "awareness":
        awarenessProtocol.applyAwarenessUpdate(this.awareness, message.update, this);
        return;
      case "query-awareness":
        if (this.awareness.getLocalState() !== null) this.sendLocalPresence();
        return;
      case "permission-denied":
        this.saves.deny();
        this.emit("permission-denied", [{ reason: message.reason }]);
        this.emitSaveState();
        return;
      case "ack":
        this.saves.acked(message.seq);
        return;
      case "ack-request":
        return;
    }
  }

  /** Tears down the current socket without waiting for its close event. */
  private dropSocket(code: number, reason: string): void {
    const ws = this.ws;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close(code, reason);
    } catch {
      // Already closing.
    }
    this.connectionEnded(code, reason);
  }

  private connectionEnded(code: number, reason: string): void {
    const openForMs = this.openedAt === null ? null : Date.now() - this.openedAt;
    this.ws = null;
    this.openedAt = null;
    this.heartbeat?.stop();
    this.saves.connectionLost();
    this.forgetServerPeers();
    this.setSynced(false);
    const permanent = !isRetryable(code);
    if (permanent) {
      this.shouldConnect = false;
      this.closedWith = { code, reason };
    }
    const retryInMs = this.shouldConnect ? this.scheduleReconnect(openForMs) : null;
    this.setStatus("disconnected");
    this.emit("connection-close", [{ code, reason, retryInMs }]);
    if (permanent) {
      this.saves.fail(new QuireClosedError(code, reason));
      this.emit("closed", [{ code, reason }]);
    }
    this.emitSaveState();
  }

  private scheduleReconnect(openForMs: number | null): number {
    this.clearReconnectTimer();
    const delay = this.backoff.next(openForMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.shouldConnect && !this.ws) void this.open();
    }, delay);
    return delay;
  }

  private clearReconnectTimer(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  /** The network is back or the tab is visible again: skip the backoff wait, or check a live socket. */
  private readonly wake = () => {
    if (typeof document !== "undefined" && document.visibilityState === "hidden") return;
    if (this.reconnectTimer !== null) {
      this.clearReconnectTimer();
      void this.open();
    } else if (this.status === "connected") {
      this.heartbeat?.probe();
    }
  };

  private readonly onDocUpdate = (update: Uint8Array, origin: unknown) => {
    if (origin === this) return;
    this.saves.change();
    if (!this.isOpen()) return; // Sent by the sync exchange of the next connection.
    this.sendUpdate(update, encodeUpdate);
    if (!this.ackScheduled) {
      // One ack request for all the updates of this task.
      this.ackScheduled = true;
      queueMicrotask(() => {
        this.ackScheduled = false;
        this.requestAck();
      });
    }
  };

  private readonly onDocDestroy = () => this.destroy();

  private readonly onAwarenessUpdate = (change: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
    if (origin === this) {
      for (const id of [...change.added, ...change.updated]) this.serverPeers.add(id);
      for (const id of change.removed) this.serverPeers.delete(id);
      return;
    }
    // Only our own state goes to the server: it attributes every state a connection sends to it.
    const changed = [...change.added, ...change.updated, ...change.removed];
    if (changed.includes(this.doc.clientID) && this.isOpen()) this.sendLocalPresence();
  };

  private forgetServerPeers(): void {
    const peers = [...this.serverPeers].filter((id) => id !== this.doc.clientID);
    this.serverPeers.clear();
    if (peers.length > 0) awarenessProtocol.removeAwarenessStates(this.awareness, peers, this);
  }

  /** Leaving the page (or entering the back-forward cache): peers must drop our cursor now. */
  private readonly onPageHide = () => {
    this.presenceBeforeHide = this.awareness.getLocalState();
    awarenessProtocol.removeAwarenessStates(this.awareness, [this.doc.clientID], "pagehide");
  };

  private readonly onPageShow = (event: Event) => {
    if ((event as PageTransitionEvent).persisted && this.presenceBeforeHide) this.awareness.setLocalState(this.presenceBeforeHide);
    this.presenceBeforeHide = null;
  };

  private addWindowListeners(): void {
    if (typeof window === "undefined" || typeof window.addEventListener !== "function") return;
    window.addEventListener("online", this.wake);
    window.addEventListener("pagehide", this.onPageHide);
    window.addEventListener("pageshow", this.onPageShow);
    if (typeof document !== "undefined") document.addEventListener("visibilitychange", this.wake);
  }

  private removeWindowListeners(): void {
    if (typeof window === "undefined" || typeof window.removeEventListener !== "function") return;
    window.removeEventListener("online", this.wake);
    window.removeEventListener("pagehide", this.onPageHide);
    window.removeEventListener("pageshow", this.onPageShow);
    if (typeof document !== "undefined") document.removeEventListener("visibilitychange", this.wake);
  }

  private async openOffline(offline: boolean | string): Promise<void> {
    if (offline === false) return;
    const store = await openOfflineStore(typeof offline === "string" ? offline : `quire:${this.docId}`, this.doc);
    if (this.destroyed) await store.destroy();
    else this.offlineStore = store;
  }

  private requestAck(): void {
    if (!this.isOpen()) return;
    const seq = this.saves.nextRequest();
    if (seq !== null) this.send(encodeAckRequest(seq));
  }

  private sendUpdate(update: Uint8Array, encodeFirst: (update: Uint8Array) => Uint8Array): void {
    splitUpdate(update, this.maxPayloadBytes).forEach((part, i) => this.send(i === 0 ? encodeFirst(part) : encodeUpdate(part)));
  }

  private sendLocalPresence(): void {
    this.send(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.doc.clientID])));
  }

  private isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === OPEN && this.status === "connected";
  }

  private send(frame: Uint8Array): void {
    if (this.isOpen()) this.ws!.send(frame);
  }

  private sendText(text: string): void {
    if (this.isOpen()) this.ws!.send(text);
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.emit("status", [{ status }]);
    this.emitSaveState();
  }

  private setSynced(synced: boolean): void {
    if (this.synced === synced) return;
    this.synced = synced;
    this.emit("synced", [synced]);
  }

  private emitSaveState(): void {
    const state = this.saveState;
    if (state === this.lastSaveState) return;
    this.lastSaveState = state;
    this.emit("save-state", [{ state }]);
  }
}

function toBytes(data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError("unexpected WebSocket message data; set binaryType to arraybuffer");
}
