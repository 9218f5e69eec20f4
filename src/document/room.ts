// The document room: one Y.Doc, its connections and their presence, independent of the platform.
// The Durable Object feeds it events; it never holds timers, so the object can hibernate.
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
import { mergePresence, presenceRemoval, presenceSnapshot } from "./presence";

/** Where the room's updates live. Loading may be asynchronous (snapshots come from R2). */
export interface DocumentStore {
  /** Applies every stored update to `doc`. */
  load(doc: Y.Doc): Promise<void> | void;
  /** Durably appends an accepted update; throws if it could not be stored. */
  append(update: Uint8Array, userId: string): void;
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

  constructor(
    private readonly store: DocumentStore,
    private readonly connections: () => Iterable<Connection>,
  ) {}

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
      connection.send(encodeSyncStep1(Y.encodeStateVector(doc)));
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
        connection.send(encodeSyncStep2(diffSince(doc, message.stateVector)));
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
        connection.send(encodeAck(message.seq));
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
   * Validates, stores and broadcasts an update; returns whether it changed the document.
   * Everything between the apply and the broadcast is synchronous, so the write precedes the
   * sends and the output gate holds them until the update is durable.
   */
  private async integrate(update: Uint8Array, origin: Connection | null, userId: string): Promise<boolean> {
    if (!readUpdate(update).hasChanges) return false;
    const doc = await this.getDoc();
    const effective: Uint8Array[] = [];
    const collect = (change: Uint8Array) => effective.push(change);
    doc.on("update", collect);
    try {
      Y.applyUpdate(doc, update, origin);
    } finally {
      doc.off("update", collect);
    }
    // An update whose dependencies have not arrived stays pending in memory; it is stored anyway,
    // so the acknowledgement holds even if the object restarts before they come.
    const pending = doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
    if (effective.length === 0 && !pending) return false;
    try {
      this.store.append(update, userId);
    } catch (error) {
      // Memory now holds an update that storage does not: drop the doc so the next use reloads the truth.
      this.doc = null;
      throw error;
    }
    for (const change of effective) this.broadcast(encodeUpdate(change), origin);
    return effective.length > 0;
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
      return await this.serialized(() => this.integrate(update, null, userId));
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

function diffSince(doc: Y.Doc, stateVector: Uint8Array): Uint8Array {
  try {
    return Y.encodeStateAsUpdate(doc, stateVector);
  } catch {
    throw new CloseConnection(CloseCode.malformedMessage, "sync step 1 carries an invalid state vector");
  }
}

