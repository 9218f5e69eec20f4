// The document room: one Y.Doc, its connections and their presence, independent of the platform.
// The Durable Object feeds it events; it never holds timers, so the object can hibernate.
// Updates are applied at once and written in batches (group commit, ./groupCommit.ts): nothing
// that depends on an update leaves the room before the batch holding it is written.
import * as Y from "yjs";
import { decodeAwarenessUpdate } from "../protocol/awareness";
import { CloseCode } from "../protocol/closeCodes";
import {
  decodeMessage,
  encodeAck,
  encodeAwareness,
  encodePermissionDenied,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  type Message,
  ProtocolError,
} from "../protocol/messages";
import type { Connection } from "./connection";
import { type BatchRecord, GroupCommit } from "./groupCommit";
import { mergePresence, presenceRemoval, presenceSnapshot } from "./presence";

/** Where the room's updates live. Loading may be asynchronous (snapshots come from R2). */
export interface DocumentStore {
  /** Applies every stored update to `doc`. */
  load(doc: Y.Doc): Promise<void> | void;
  /** Appends a batch of accepted updates; throws if it could not be stored. Its commit follows the turn. */
  append(batch: BatchRecord): void;
  /** Resolves once every write so far is durable. */
  synced(): Promise<void>;
}

/** A decision to close one connection, carried as an exception out of message handling. */
class CloseConnection extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export class DocumentRoom {
  private doc: Y.Doc | null = null;
  private loading: Promise<Y.Doc> | null = null;
  /** Messages are handled one at a time, in arrival order, so an ack follows everything before it. */
  private queue: Promise<void> = Promise.resolve();
  private readonly commits: GroupCommit;

  constructor(
    private readonly store: DocumentStore,
    private readonly connections: () => Iterable<Connection>,
  ) {
    this.commits = new GroupCommit({
      write: (batch) => store.append(batch),
      synced: () => store.synced(),
      relay: (update, except) => this.broadcast(encodeUpdate(update), except),
      failed: (error, affected) => {
        // Memory now holds updates that storage does not: drop the doc so the next use reloads
        // the truth, and close the batch's connections so their clients resend what they sent.
        console.error("document room: a batch could not be stored", error);
        this.doc = null;
        for (const connection of affected) connection.close(CloseCode.internalError, "the update could not be stored; reconnect to resend it");
      },
    });
  }

  /** Whether accepted updates wait in memory for their write. */
  get hasBuffered(): boolean {
    return this.commits.hasBuffered;
  }

  /** Batches and client updates written since the object started. */
  get writeTotals(): { batches: number; updates: number } {
    return this.commits.totals;
  }

  /**
   * Runs `read` on the document at a moment when memory holds nothing that is not written, so
   * what it reads is what storage has (for snapshots and admin reads).
   */
  async withSettledDoc<T>(read: (doc: Y.Doc) => T): Promise<T> {
    for (;;) {
      const doc = await this.getDoc();
      await this.commits.settled();
      if (this.doc === doc && !this.commits.hasBuffered) return read(doc);
    }
  }

  /** Whether the document is in memory (a presence-only wake leaves it unloaded). */
  get isLoaded(): boolean {
    return this.doc !== null;
  }

  /** The Y.Doc, loaded from storage on first use after a wake. */
  getDoc(): Promise<Y.Doc> {
    if (this.doc) return Promise.resolve(this.doc);
    this.loading ??= this.load().finally(() => (this.loading = null));
    return this.loading;
  }

  private async load(): Promise<Y.Doc> {
    const doc = new Y.Doc();
    await this.store.load(doc);
    this.doc = doc;
    return doc;
  }

  /** Forgets the in-memory document after its storage was deleted; the next use loads afresh. */
  reset(): Promise<void> {
    return this.serialized(() => {
      this.doc = null;
    });
  }

  /** A new connection: send our state vector and everyone's presence, as the reference server does. */
  connect(connection: Connection): Promise<void> {
    return this.enqueue(connection, async () => {
      const doc = await this.getDoc();
      this.commits.afterBuffered(connection, () => connection.send(encodeSyncStep1(Y.encodeStateVector(doc))));
      const presence = presenceSnapshot(this.connections());
      if (presence) connection.send(encodeAwareness(presence));
    });
  }

  receive(connection: Connection, data: ArrayBuffer | string): Promise<void> {
    return this.enqueue(connection, () => {
      if (typeof data === "string") throw new CloseConnection(CloseCode.malformedMessage, "text frames other than \"ping\" are not supported");
      return this.handle(connection, decodeMessage(new Uint8Array(data)));
    });
  }

  /** A connection ended: tell the others its presence is gone, so no cursor lingers. */
  disconnect(connection: Connection): Promise<void> {
    return this.enqueue(connection, () => {
      const removal = presenceRemoval(connection.presence);
      if (removal) this.broadcast(encodeAwareness(removal), connection);
    });
  }

  /** Runs a connection's task in order; its failures close that connection and nothing else. */
  private enqueue(connection: Connection, task: () => Promise<void> | void): Promise<void> {
    return this.serialized(task).catch((error) => {
      if (error instanceof CloseConnection) return connection.close(error.code, error.reason);
      if (error instanceof ProtocolError) {
        return connection.close(error.unknownType ? CloseCode.unsupportedMessage : CloseCode.malformedMessage, error.message);
      }
      console.error("document room: closing a connection after an internal error", error);
      connection.close(CloseCode.internalError, "internal error");
    });
  }

  /** Runs a task after every earlier one; its result or error goes to the caller alone. */
  private serialized<T>(task: () => Promise<T> | T): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async handle(connection: Connection, message: Message): Promise<void> {
    switch (message.type) {
      case "sync-step1": {
        const doc = await this.getDoc();
        checkStateVector(message.stateVector);
        this.commits.afterBuffered(connection, () => connection.send(encodeSyncStep2(Y.encodeStateAsUpdate(doc, message.stateVector))));
        return;
      }
      case "sync-step2":
      case "update":
        return this.applyClientUpdate(connection, message.update);
      case "awareness":
        return this.applyAwareness(connection, message.update);
      case "query-awareness": {
        const presence = presenceSnapshot(this.connections());
        if (presence) connection.send(encodeAwareness(presence));
        return;
      }
      case "ack-request":
        if (!connection.session.ack) throw new CloseConnection(CloseCode.unsupportedMessage, "ack extension not requested (connect with ?ext=ack)");
        this.commits.afterBuffered(connection, () => connection.send(encodeAck(message.seq)));
        return;
      case "permission-denied":
      case "ack":
        throw new CloseConnection(CloseCode.unsupportedMessage, `${message.type} is a server-to-client message`);
    }
  }

  private async applyClientUpdate(connection: Connection, update: Uint8Array): Promise<void> {
    if (connection.session.access !== "write") {
      if (readUpdate(update).hasChanges) connection.send(encodePermissionDenied("read-only access: updates are not accepted"));
      return;
    }
    await this.integrate(update, connection, connection.session.userId);
  }

  /**
   * Validates and applies an update, and hands what it changed to the group commit, which stores
   * and relays it; returns whether it changed the document. An update whose dependencies have
   * not arrived stays pending in memory; it is stored anyway, so an acknowledgement holds even if
   * the object restarts before they come.
   */
  private async integrate(update: Uint8Array, origin: Connection | null, userId: string): Promise<boolean> {
    if (!readUpdate(update).hasChanges) return false;
    const doc = await this.getDoc();
    const pendingBefore = pendingOf(doc);
    let change: Uint8Array | null = null;
    const collect = (effective: Uint8Array) => (change = change ? Y.mergeUpdates([change, effective]) : effective);
    doc.on("update", collect);
    try {
      Y.applyUpdate(doc, update, origin);
    } finally {
      doc.off("update", collect);
    }
    const stored = pendingGrew(pendingBefore, pendingOf(doc)) ? update : change;
    this.commits.add(stored, change, origin, userId);
    return change !== null;
  }

  private applyAwareness(connection: Connection, update: Uint8Array): void {
    const entries = decodeAwarenessUpdate(update);
    connection.setPresence(mergePresence(connection.presence, entries));
    // Relayed to the sender too: a stock client alone in a document hears its own renewal every
    // 15 s, which keeps it from dropping the connection as silent after 30 s.
    this.broadcast(encodeAwareness(update), null);
  }

  /** Sends a frame to every connection but `except`. */
  broadcast(frame: Uint8Array, except: Connection | null): void {
    for (const connection of this.connections()) {
      if (connection.session.id !== except?.session.id) connection.send(frame);
    }
  }

  /**
   * Applies an update that did not come from a client (admin API, restore), after every message
   * already received. Throws an UpdateRejected error for an invalid update.
   */
  async applyServerUpdate(update: Uint8Array, userId: string): Promise<boolean> {
    try {
      const changed = await this.serialized(() => this.integrate(update, null, userId));
      await this.commits.written();
      return changed;
    } catch (error) {
      if (error instanceof CloseConnection) throw new UpdateRejected(error.reason);
      throw error;
    }
  }
}

/** An update handed to the server directly was not a valid Yjs update. */
export class UpdateRejected extends Error {}

/** Decodes an update fully without touching the document, so a corrupt one is refused before anything changes. */
function readUpdate(update: Uint8Array): { hasChanges: boolean } {
  try {
    const { structs, ds } = Y.decodeUpdate(update);
    return { hasChanges: structs.length > 0 || ds.clients.size > 0 };
  } catch {
    throw new CloseConnection(CloseCode.invalidUpdate, "the update is not a valid Yjs update");
  }
}

/** Refuses a state vector that does not decode, before anything is sent. */
function checkStateVector(stateVector: Uint8Array): void {
  try {
    Y.decodeStateVector(stateVector);
  } catch {
    throw new CloseConnection(CloseCode.malformedMessage, "sync step 1 carries an invalid state vector");
  }
}

interface Pending {
  structs: Uint8Array | null;
  ds: Uint8Array | null;
}

/** The updates Yjs holds back until their dependencies arrive. */
function pendingOf(doc: Y.Doc): Pending {
  return { structs: doc.store.pendingStructs?.update ?? null, ds: doc.store.pendingDs };
}

/**
 * Whether an update added to what is held back. Yjs re-encodes what it holds back whenever an
 * update arrives while something is pending, so the two are compared by content (pending state
 * is rare and small: it only exists while an update's dependencies are missing).
 */
function pendingGrew(before: Pending, after: Pending): boolean {
  const grew = (was: Uint8Array | null, is: Uint8Array | null) => is !== null && is !== was && (was === null || !sameBytes(is, was));
  return grew(before.structs, after.structs) || grew(before.ds, after.ds);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
