// The well-behaved clients the fuzzer runs beside its hostile sessions: an editor that keeps typing
// numbered tokens and asking for acks, with a presence it renews, and a watcher that mirrors every
// relayed change and records what it is told about the editor's presence.
import * as Y from "yjs";
import { decodeAwarenessUpdate, encodeAwarenessUpdate } from "../../../src/protocol/awareness";
import { decodeMessage, encodeAckRequest, encodeAwareness, encodeSyncStep1, encodeUpdate } from "../../../src/protocol/messages";
import { type Connect, type FuzzSocket, isRefusal } from "./transport";

export const EDITOR_ID = 123_456_789;
export const WATCHER_ID = 987_654_321;

/** Opens a well-behaved connection that sends the SDK's heartbeat, so the server never reaps it as silent. */
async function open(connect: Connect, userId: string): Promise<FuzzSocket> {
  const socket = await connect({ access: "write", userId, ack: true });
  if (isRefusal(socket)) throw new Error(`upgrade refused: ${socket.status} ${JSON.stringify(socket.body)}`);
  const heartbeat = setInterval(() => socket.send("ping"), 5000);
  void socket.closed.then(() => clearInterval(heartbeat));
  return socket;
}

/** Resolves when an ack with `seq` arrives on `socket`, rejects if the socket closes first. */
function ackOn(socket: FuzzSocket, waiters: Map<number, () => void>, seq: number, who: string): Promise<void> {
  const acked = new Promise<void>((resolve) => waiters.set(seq, resolve));
  socket.send(encodeAckRequest(seq));
  return Promise.race([acked, socket.closed.then(({ code, reason }) => Promise.reject(new Error(`${who} was closed with ${code} ${reason}`)))]);
}

/** Types `[g:N]` tokens at the end of the text "text", asks for an ack every few edits, renews its presence. */
export class Editor {
  readonly doc = new Y.Doc();
  readonly text = this.doc.getText("text");
  typed = 0;
  readonly presenceStates = new Set<string>();
  private socket!: FuzzSocket;
  private seq = 0;
  private readonly ackWaiters = new Map<number, () => void>();
  private presenceClock = 0;
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly connect: Connect) {
    this.doc.clientID = EDITOR_ID;
  }

  async open(): Promise<void> {
    this.socket = await open(this.connect, "well-behaved-editor");
    this.socket.onFrame((frame) => {
      const message = decodeMessage(frame);
      if (message.type === "ack") {
        this.ackWaiters.get(message.seq)?.();
        this.ackWaiters.delete(message.seq);
      }
    });
    this.renewPresence();
  }

  get closedWith() {
    return this.socket.closedWith;
  }

  /** Types an edit every `everyMs`, asks for an ack every fifth, renews its presence every two seconds. */
  start(everyMs = 10): void {
    this.running = true;
    this.loop = (async () => {
      let lastPresence = Date.now();
      while (this.running && !this.socket.closedWith) {
        this.type();
        if (this.typed % 5 === 0) this.ack().catch(() => {});
        if (Date.now() - lastPresence > 2000) {
          this.renewPresence();
          lastPresence = Date.now();
        }
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
    })();
  }

  /** Stops typing and waits until everything typed is acknowledged as stored. */
  async pause(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.ack();
  }

  ack(): Promise<void> {
    return ackOn(this.socket, this.ackWaiters, ++this.seq, "the well-behaved editor");
  }

  expectedText(): string {
    return Array.from({ length: this.typed }, (_, i) => `[g:${i}]`).join("");
  }

  close(): void {
    this.running = false;
    this.socket.close(1000, "done");
  }

  private type(): void {
    let update: Uint8Array | null = null;
    this.doc.once("update", (u: Uint8Array) => (update = u));
    this.text.insert(this.text.length, `[g:${this.typed++}]`);
    this.socket.send(encodeUpdate(update!));
  }

  private renewPresence(): void {
    const state = JSON.stringify({ user: { name: "well-behaved editor" }, cursor: this.typed });
    this.presenceStates.add(state);
    this.socket.send(encodeAwareness(encodeAwarenessUpdate([{ clientId: EDITOR_ID, clock: ++this.presenceClock, state }])));
  }
}

/** Mirrors every relayed change and records every presence state it hears for the editor's id. */
export class Watcher {
  readonly doc = new Y.Doc();
  readonly editorStates: string[] = [];
  private socket!: FuzzSocket;
  private readonly ackWaiters = new Map<number, () => void>();
  private seq = 0;

  constructor(private readonly connect: Connect) {
    this.doc.clientID = WATCHER_ID;
  }

  async open(): Promise<void> {
    let markSynced!: () => void;
    const synced = new Promise<void>((resolve) => (markSynced = resolve));
    this.socket = await open(this.connect, "well-behaved-watcher");
    this.socket.onFrame((frame) => {
      const message = decodeMessage(frame);
      if (message.type === "update" || message.type === "sync-step2") Y.applyUpdate(this.doc, message.update, this);
      if (message.type === "sync-step2") markSynced();
      if (message.type === "awareness") {
        for (const entry of decodeAwarenessUpdate(message.update)) if (entry.clientId === EDITOR_ID) this.editorStates.push(entry.state);
      }
      if (message.type === "ack") {
        this.ackWaiters.get(message.seq)?.();
        this.ackWaiters.delete(message.seq);
      }
    });
    this.socket.send(encodeSyncStep1(Y.encodeStateVector(this.doc)));
    this.socket.send(encodeAwareness(encodeAwarenessUpdate([{ clientId: WATCHER_ID, clock: 1, state: '{"user":{"name":"watcher"}}' }])));
    await synced;
  }

  get closedWith() {
    return this.socket.closedWith;
  }

  /** Resolves once the server has handled everything sent to it before, and so sent the watcher every relay before its ack. */
  roundTrip(): Promise<void> {
    return ackOn(this.socket, this.ackWaiters, ++this.seq, "the watcher");
  }

  close(): void {
    this.socket.close(1000, "done");
  }
}
