// The Quire provider: keeps a Y.Doc in sync with a Quire server over one WebSocket and knows, from
// the server's acknowledgements, exactly which local changes are durably saved.
import { ObservableV2 } from "lib0/observable";
import * as awarenessProtocol from "y-protocols/awareness";
import * as Y from "yjs";
import { isRetryable, MAX_MESSAGE_BYTES } from "../../src/protocol/closeCodes";
import { decodeMessage, encodeAckRequest, encodeSyncStep1, encodeSyncStep2, encodeUpdate, type Message } from "../../src/protocol/messages";
import { Backoff, DEFAULT_BACKOFF } from "./backoff";
import { CrossTabSync } from "./crossTab";
import { DEFAULT_HEARTBEAT, Heartbeat } from "./heartbeat";
import { type OfflineStore, openOfflineStore } from "./offline";
import { watchPage } from "./pageLifecycle";
import { ServerPresence } from "./presence";
import { type SaveState, SaveTracker } from "./saveTracker";
import { socketUrl } from "./socketUrl";
import { splitUpdate } from "./splitUpdate";
import { UpdateOutbox } from "./updateOutbox";
import {
  type ConnectionStatus,
  QuireClosedError,
  type QuireProviderEvents,
  type QuireProviderOptions,
  type TokenSource,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./types";

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
  /** Resolves once the IndexedDB copy is applied (at once without offline persistence); rejects if IndexedDB fails. */
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
  private readonly outbox = new UpdateOutbox({
    sendUpdate: (update) => this.sendUpdate(update, encodeUpdate),
    requestAck: () => this.requestAck(),
  });
  private lastSaveState: SaveState = "saved";
  private readonly presence: ServerPresence;
  private readonly unwatchPage: () => void;

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
    this.presence = new ServerPresence(this.awareness, this, (frame) => this.send(frame));
    const crossTab = options.crossTab ?? (typeof window !== "undefined" && typeof BroadcastChannel !== "undefined");
    this.crossTab = crossTab ? new CrossTabSync(`quire:${this.url}:${this.docId}`, this.doc, this.awareness, this) : null;
    this.whenOfflineLoaded = this.openOffline(options.offline ?? false);
    // Awaiting it is optional: an IndexedDB failure rejects it without an unhandled rejection.
    this.whenOfflineLoaded.catch(() => {});
    this.unwatchPage = watchPage({ wake: this.wake, hide: () => this.presence.hide(), show: (restored) => this.presence.show(restored) });
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
   * number of reconnects. Rejects with QuireClosedError when they cannot be: on a permanent close
   * (its code and reason) or on destroy() (code 1000, reason "destroyed"), whether it was called
   * before or after. After a permanent close, `connect()` makes later calls wait again.
   */
  whenSaved(): Promise<void> {
    return this.saves.whenSaved();
  }

  /** Starts connecting (again). Also the way to retry after a permanent close. */
  connect(): void {
    if (this.destroyed) throw new Error("the provider is destroyed");
    this.shouldConnect = true;
    this.closedWith = null;
    this.saves.reopen();
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
    this.presence.destroy();
    this.unwatchPage();
    this.crossTab?.destroy();
    void this.offlineStore?.destroy();
    if (this.ownsAwareness) this.awareness.destroy();
    this.saves.fail(new QuireClosedError(1000, QuireClosedError.DESTROYED));
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
    this.presence.connected();
    this.send(encodeSyncStep1(Y.encodeStateVector(this.doc)));
    const presence = this.presence.localFrame();
    if (presence) this.send(presence);
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
        this.outbox.coveredBySync(this.requestAck());
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
        this.presence.applyFromServer(message.update);
        return;
      case "query-awareness": {
        const presence = this.presence.localFrame();
        if (presence) this.send(presence);
        return;
      }
      case "permission-denied":
        this.saves.deny();
        this.emit("permission-denied", [{ reason: message.reason }]);
        this.emitSaveState();
        return;
      case "ack":
        this.saves.acked(message.seq);
        this.outbox.acked(message.seq);
        return;
      case "ack-request":
        return;
    }
  }

  /** Tears down the current socket without waiting for its close event. */
  private dropSocket(code: number, reason: string): void {
    const ws = this.ws;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    // An abandoned socket may still report an error: the `ws` package emits one when closed during
    // its handshake, and an EventEmitter error without a listener throws in Node.
    ws.onerror = () => {};
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
    this.outbox.reset();
    this.presence.forgetPeers();
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
    this.outbox.push(update);
  };

  private readonly onDocDestroy = () => this.destroy();

  private async openOffline(offline: boolean | string): Promise<void> {
    if (offline === false) return;
    const store = await openOfflineStore(typeof offline === "string" ? offline : `quire:${this.docId}`, this.doc);
    if (this.destroyed) await store.destroy();
    else this.offlineStore = store;
  }

  /** Asks the server to acknowledge everything sent so far; returns the request's seq, or null if none was sent. */
  private requestAck(): number | null {
    if (!this.isOpen()) return null;
    const seq = this.saves.nextRequest();
    if (seq !== null) this.send(encodeAckRequest(seq));
    return seq;
  }

  private sendUpdate(update: Uint8Array, encodeFirst: (update: Uint8Array) => Uint8Array): void {
    splitUpdate(update, this.maxPayloadBytes).forEach((part, i) => this.send(i === 0 ? encodeFirst(part) : encodeUpdate(part)));
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
