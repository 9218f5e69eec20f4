// The document room: one Y.Doc, its connections and their presence, independent of the platform.
// The Durable Object feeds it events; it never holds timers, so the object can hibernate.
// Updates are applied at once and written in batches (group commit, ./groupCommit.ts): nothing
// that depends on an update leaves the room before the batch holding it is written.
import * as Y from "yjs";
import { CloseCode } from "../protocol/closeCodes";
import {
  decodeMessage,
  encodeAck,
  encodePermissionDenied,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  type Message,
  ProtocolError,
} from "../protocol/messages";
import type { Connection } from "./connection";
import { DocumentSize } from "./documentSize";
import { CloseConnection, DocumentUnavailable, UpdateRejected } from "./errors";
import { type BatchRecord, GroupCommit } from "./groupCommit";
import { DEFAULT_LIMITS, type Limits } from "./limits";
import { RoomPresence } from "./roomPresence";
import { checkStateVector, newClients, pendingGrew, pendingOf, readUpdate } from "./updateChecks";
import { UserBudgets } from "./userBudgets";

export { UpdateRejected } from "./errors";

/** Where the room's updates live. Loading may be asynchronous (snapshots come from R2). */
export interface DocumentStore {
  /** Applies every stored update to `doc`; returns the document's size as its Yjs V1 encoding, or null if unknown. */
  load(doc: Y.Doc): Promise<number | null | void> | number | null | void;
  /** Appends a batch of accepted updates; throws if it could not be stored. Its commit follows the turn. */
  append(batch: BatchRecord): void;
  /** Resolves once every write so far is durable. */
  synced(): Promise<void>;
}


export class DocumentRoom {
  private doc: Y.Doc | null = null;
  private loading: Promise<Y.Doc> | null = null;
  /** Messages are handled one at a time, in arrival order, so an ack follows everything before it. */
  private queue: Promise<void> = Promise.resolve();
  private readonly commits: GroupCommit;
  private readonly size: DocumentSize;
  private readonly presence: RoomPresence;
  /** Per user (a reconnect does not refill them). */
  private readonly budgets: UserBudgets;
  /** Connections closed for a frame of theirs, whose close waits for the answers owed before it. */
  private readonly closing = new Set<string>();

  constructor(
    private readonly store: DocumentStore,
    private readonly connections: () => Iterable<Connection>,
    private readonly limits: Limits = DEFAULT_LIMITS,
  ) {
    this.size = new DocumentSize(() => limits.maxDocumentBytes);
    this.budgets = new UserBudgets(limits);
    this.presence = new RoomPresence(connections, limits, (frame, except) => this.broadcast(frame, except));
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

  /** Whether the document is in memory (a presence-only wake leaves it unloaded). */
  get isLoaded(): boolean {
    return this.doc !== null;
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

  /** The Y.Doc, loaded from storage on first use after a wake. */
  getDoc(): Promise<Y.Doc> {
    if (this.doc) return Promise.resolve(this.doc);
    this.loading ??= this.load().finally(() => (this.loading = null));
    return this.loading;
  }

  private async load(): Promise<Y.Doc> {
    const doc = new Y.Doc();
    let bytes: number | null | void;
    try {
      bytes = await this.store.load(doc);
    } catch (error) {
      throw new DocumentUnavailable(error);
    }
    this.size.loaded(bytes ?? Y.encodeStateAsUpdate(doc).byteLength);
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
      const presence = this.presence.snapshotFrame();
      if (presence) connection.send(presence);
    });
  }

  receive(connection: Connection, data: ArrayBuffer | string): Promise<void> {
    return this.enqueue(connection, () => {
      if (typeof data === "string") throw new CloseConnection(CloseCode.malformedMessage, "text frames other than \"ping\" are not supported");
      return this.handle(connection, decodeMessage(new Uint8Array(data)));
    });
  }

  /** A connection ended: tell the others the presence it owned is gone, so no cursor lingers. */
  disconnect(connection: Connection): Promise<void> {
    this.closing.delete(connection.session.id);
    return this.enqueue(connection, () => this.presence.leave(connection));
  }

  /** Runs a connection's task in order; its failures close that connection and nothing else. */
  private enqueue(connection: Connection, task: () => Promise<void> | void): Promise<void> {
    return this.serialized(() => (this.closing.has(connection.session.id) ? undefined : task())).catch((error) => {
      if (error instanceof CloseConnection) return this.closeAfterAnswers(connection, error.code, error.reason);
      if (error instanceof ProtocolError) {
        return this.closeAfterAnswers(connection, error.unknownType ? CloseCode.unsupportedMessage : CloseCode.malformedMessage, error.message);
      }
      if (error instanceof DocumentUnavailable) {
        console.error("document room: the document could not be loaded", error.cause);
        return this.closeAfterAnswers(connection, CloseCode.tryAgainLater, "the document cannot be loaded right now; reconnect soon");
      }
      console.error("document room: closing a connection after an internal error", error);
      this.closeAfterAnswers(connection, CloseCode.internalError, "internal error");
    });
  }

  /**
   * Closes a connection after the answers owed to its earlier frames (acks, sync replies waiting for
   * the buffered batch), so a close never overtakes them; frames it sends meanwhile are ignored.
   */
  private closeAfterAnswers(connection: Connection, code: number, reason: string): void {
    this.closing.add(connection.session.id);
    this.commits.afterBuffered(connection, () => connection.close(code, reason));
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
        return this.presence.apply(connection, message.update);
      case "query-awareness": {
        const presence = this.presence.snapshotFrame();
        if (presence) connection.send(presence);
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
    const { userId } = connection.session;
    this.budgets.takeBytes(userId, update.byteLength);
    await this.integrate(update, connection, userId);
  }

  /**
   * Validates and applies an update, and hands what it changed to the group commit, which stores
   * and relays it; returns whether it changed the document. An update whose dependencies have
   * not arrived stays pending in memory; it is stored anyway, so an acknowledgement holds even if
   * the object restarts before they come.
   */
  private async integrate(update: Uint8Array, origin: Connection | null, userId: string): Promise<boolean> {
    const { hasChanges, clients } = readUpdate(update);
    if (!hasChanges) return false;
    const doc = await this.getDoc();
    if (origin) this.budgets.takeClientIds(userId, newClients(doc, clients));
    if (!this.size.fits(doc, update.byteLength)) {
      throw new CloseConnection(CloseCode.documentTooLarge, `the document would grow past its limit of ${this.limits.maxDocumentBytes} bytes; nothing of the update was stored`);
    }
    const pendingBefore = pendingOf(doc);
    const effective: Uint8Array[] = [];
    const collect = (changed: Uint8Array) => effective.push(changed);
    doc.on("update", collect);
    try {
      Y.applyUpdate(doc, update, origin);
    } catch (error) {
      this.dropAfterFailedApply(doc, error);
      throw new CloseConnection(CloseCode.invalidUpdate, "the update could not be applied; nothing of it was stored");
    } finally {
      doc.off("update", collect);
    }
    const change = effective.length === 0 ? null : effective.length === 1 ? effective[0] : Y.mergeUpdates(effective);
    const stored = pendingGrew(pendingBefore, pendingOf(doc)) ? update : change;
    if (stored) this.size.grew(stored.byteLength);
    this.commits.add(stored, change, origin, userId);
    return change !== null;
  }

  /**
   * Y.applyUpdate threw part-way, so memory may hold part of the update, which storage never will.
   * What others sent before it is written now; then the document is dropped, and the next use
   * loads exactly what storage has.
   */
  private dropAfterFailedApply(doc: Y.Doc, error: unknown): void {
    console.error("document room: an update that decoded failed to apply; reloading the document", error);
    this.commits.writeNow();
    if (this.doc === doc) this.doc = null;
  }

  /** Sends a frame to every connection but `except`. */
  broadcast(frame: Uint8Array, except: Connection | null): void {
    for (const connection of this.connections()) {
      if (connection.session.id !== except?.session.id) connection.send(frame);
    }
  }

  /**
   * Applies an update that did not come from a client (admin API, restore), after every message
   * already received, and resolves once it is written. Throws UpdateRejected for an invalid update
   * or one the document has no room for.
   */
  async applyServerUpdate(update: Uint8Array, userId: string): Promise<boolean> {
    try {
      const changed = await this.serialized(() => this.integrate(update, null, userId));
      await this.commits.written();
      return changed;
    } catch (error) {
      if (error instanceof CloseConnection && error.code === CloseCode.documentTooLarge) throw new UpdateRejected(413, "document_too_large", error.reason);
      if (error instanceof CloseConnection) throw new UpdateRejected(400, "invalid_update", error.reason);
      throw error;
    }
  }
}
