// The document object's side of the admin API: reads and changes one document on behalf of the
// Worker's /v1 handlers. The object exposes each method over RPC (DocumentObject.admin*).
import * as Y from "yjs";
import type { Connection, Session } from "../document/connection";
import type { Revocations } from "../document/revocations";
import { type DocumentRoom, UpdateRejected } from "../document/room";
import type { DocumentFacts } from "../metadata/documentFacts";
import { type EventMessage, sendEvents } from "../events/eventTypes";
import { deleteDocument, getDocument } from "../metadata/documentIndex";
import { type DocumentRecord, MAX_METADATA_BYTES, type Metadata, mergeMetadata, metadataBytes } from "../metadata/documentRecord";
import type { IndexSync } from "../metadata/indexSync";
import { snapshotSummary } from "../metadata/snapshotSummary";
import { CloseCode } from "../protocol/closeCodes";
import type { UpdateLog } from "../storage/updateLog";
import { docToJson } from "./docJson";
import { fail, ok, type Outcome } from "./outcome";

/** The user id recorded as the author of updates applied through the admin API. */
export const ADMIN_USER_ID = "admin";

/**
 * A document with no updates, encoded: two zero counts (no structs, no deletions). A constant,
 * because making a Y.Doc at module scope draws a random id, which Workers forbid outside handlers.
 */
export const EMPTY_DOC_BYTES = 2;

/** Everything of a document's R2 objects lives under this prefix (snapshots under `docs/<id>/snapshots/`). */
export const documentObjectsPrefix = (docId: string) => `docs/${docId}/`;

/** What the admin side needs from the document object. */
export interface AdminHost {
  readonly docId: string | null;
  readonly room: DocumentRoom;
  readonly log: UpdateLog;
  readonly facts: DocumentFacts;
  readonly indexSync: IndexSync;
  readonly revocations: Revocations;
  connections(): Connection[];
  /** The document's V1 size from what is stored (src/snapshots/compactor.ts), or null if unknown. */
  storedSize(): number | null;
  /** Deletes everything the object stores, its alarm included. */
  wipeStorage(): Promise<void>;
  /** Resolves once no compaction is running, so none of its uploads lands after the R2 sweep. */
  compactionsIdle(): Promise<void>;
}

/** The stores around the object: its own SQLite database, the D1 index, the R2 bucket and the events queue. */
export interface AdminStores {
  sql: SqlStorage;
  db: D1Database;
  snapshots: R2Bucket;
  /** Where `document.deleted` goes; unbound, no event is sent. */
  events?: Queue<EventMessage>;
}

export class DocumentAdmin {
  constructor(
    private readonly host: AdminHost,
    private readonly stores: AdminStores,
  ) {}

  /** The document's current record, gathered from its own storage; null before it has an id. */
  async record(): Promise<DocumentRecord | null> {
    const { docId, facts, log } = this.host;
    if (docId === null) return null;
    const { createdAt } = facts.ensureCreated();
    const sizeBytes = await this.encodedSize();
    const activity = facts.activity();
    const stats = log.stats();
    const snapshots = snapshotSummary(this.stores.sql);
    return {
      id: docId,
      createdAt,
      updatedAt: activity?.updatedAt ?? createdAt,
      sizeBytes,
      storedBytes: stats.bytes,
      updateCount: stats.updates,
      snapshotCount: snapshots.count,
      latestSnapshotSeq: snapshots.latestSeq,
      latestSnapshotAt: snapshots.latestAt,
      connections: this.host.connections().length,
      lastEditor: activity?.lastEditor ?? null,
      metadata: facts.metadata(),
    };
  }

  /**
   * The document's size encoded as one (V1) update, from what is stored: the newest snapshot's
   * recorded size plus the log after it, so indexing never loads or encodes the document. Only a
   * snapshot that did not record its size makes it measure, once per new update.
   */
  private async encodedSize(): Promise<number> {
    const { facts, log, room } = this.host;
    const stored = this.host.storedSize();
    if (stored !== null) return Math.max(stored, EMPTY_DOC_BYTES);
    const measured = facts.encodedSize();
    const lastSeq = log.lastSeq();
    if (measured && measured.seq >= lastSeq) return measured.bytes;
    if (lastSeq === 0 && !room.isLoaded) return EMPTY_DOC_BYTES;
    // The size and the sequence number describe the same state.
    const size = await room.withSettledDoc((doc) => ({ bytes: Y.encodeStateAsUpdate(doc).byteLength, seq: log.lastSeq() }));
    facts.setEncodedSize(size);
    return size.bytes;
  }

  /** Creates the document if needed, with optional initial content or metadata, and indexes it now. */
  async create(init: { update?: Uint8Array; metadata?: Metadata }): Promise<Outcome<{ created: boolean; document: DocumentRecord }>> {
    const { isNew } = this.host.facts.ensureCreated();
    if (init.update) {
      const applied = await this.apply(init.update);
      if (!applied.ok) return applied;
    }
    if (init.metadata) this.host.facts.setMetadata(init.metadata);
    const indexed = await this.syncIndex();
    return indexed.ok ? ok({ created: isNew, document: indexed.value }) : indexed;
  }

  /** Merges a JSON Merge Patch into the operator metadata and indexes the result now. */
  async patchMetadata(patch: Metadata): Promise<Outcome<DocumentRecord>> {
    const merged = mergeMetadata(this.host.facts.metadata(), patch);
    if (metadataBytes(merged) > MAX_METADATA_BYTES) {
      return fail(413, "metadata_too_large", `Metadata is limited to ${MAX_METADATA_BYTES} bytes of JSON.`);
    }
    this.host.facts.setMetadata(merged);
    return this.syncIndex();
  }

  /** The full state as one update, or only what a client with state vector `sv` lacks. */
  async encodeState(sv: Uint8Array | null): Promise<Outcome<Uint8Array>> {
    return this.host.room.withSettledDoc((doc) => {
      try {
        return ok(sv ? Y.encodeStateAsUpdate(doc, sv) : Y.encodeStateAsUpdate(doc));
      } catch {
        return fail(400, "invalid_state_vector", "`sv` is not a valid Yjs state vector.");
      }
    });
  }

  /** Applies an update as any client's would be: validated, stored, broadcast. */
  async apply(update: Uint8Array): Promise<Outcome<{ changed: boolean }>> {
    try {
      return ok({ changed: await this.host.room.applyServerUpdate(update, ADMIN_USER_ID) });
    } catch (error) {
      if (error instanceof UpdateRejected) {
        return error.status === 413 ? fail(413, error.code, `The update would grow the document past its size limit; nothing was stored.`) : fail(400, error.code, "The body is not a valid Yjs update.");
      }
      throw error;
    }
  }

  async json(): Promise<Record<string, unknown>> {
    return this.host.room.withSettledDoc(docToJson);
  }

  sessions(): Session[] {
    return this.host.connections().map((connection) => connection.session);
  }

  /** Closes every connection, or those of one user or one session, as revoked (stock clients stop retrying). */
  disconnect(filter: { userId?: string; sessionId?: string }): Session[] {
    const closed = this.host
      .connections()
      .filter((c) => (filter.userId === undefined || c.session.userId === filter.userId) && (filter.sessionId === undefined || c.session.id === filter.sessionId));
    for (const connection of closed) connection.close(CloseCode.accessRevoked, "access revoked by an operator");
    if (closed.length > 0) this.host.indexSync.markDirty();
    return closed.map((connection) => connection.session);
  }

  /**
   * Revokes access for one user, or everyone: their live connections close with 4403, and tokens
   * issued at or before this second no longer open one. Tokens issued later work.
   */
  revoke(userId: string | null): { revokedAt: number; closed: Session[] } {
    const revokedAt = this.host.revocations.revoke(userId);
    const closed = this.disconnect(userId === null ? {} : { userId });
    return { revokedAt, closed };
  }

  /**
   * Deletes the document from all three stores: its own storage (and alarm), its R2 objects and its
   * index row, in that order, so a failure part-way leaves the row and a retried DELETE finishes the
   * job. `document.deleted` is sent before the row goes, for the same reason: a DELETE that could
   * not announce itself fails and is retried. Runs with no index write in flight, and none can
   * start for the deleted document after.
   */
  delete(docId: string): Promise<{ existed: boolean }> {
    return this.host.indexSync.exclusive(async () => {
      const stored = this.hasContent();
      for (const connection of this.host.connections()) connection.close(CloseCode.documentDeleted, "the document was deleted");
      await this.host.wipeStorage();
      await this.host.compactionsIdle();
      const objects = await deleteObjects(this.stores.snapshots, documentObjectsPrefix(docId));
      const existed = stored || objects > 0 || (await getDocument(this.stores.db, docId)) !== null;
      if (existed && this.stores.events) {
        await sendEvents(this.stores.events, [{ id: crypto.randomUUID(), type: "document.deleted", docId, occurredAt: new Date().toISOString() }]);
      }
      const row = await deleteDocument(this.stores.db, docId);
      return { existed: existed || row };
    });
  }

  /** Whether the document exists: it holds content or has clients connected (maybe not yet indexed). */
  exists(): boolean {
    return this.hasContent() || this.host.connections().length > 0;
  }

  private hasContent(): boolean {
    return this.host.facts.activity() !== null || this.host.facts.hasCreationTime() || this.host.log.lastSeq() > 0;
  }

  private async syncIndex(): Promise<Outcome<DocumentRecord>> {
    try {
      const record = await this.host.indexSync.syncNow();
      if (record) return ok(record);
    } catch (error) {
      console.error("admin: writing the index row failed", error);
      return fail(503, "index_unavailable", "The change is stored, but the document index could not be written; it will catch up.");
    }
    return fail(404, "not_found", "No such document.");
  }
}

/** Deletes every object under `prefix`, a listing page (at most 1,000 keys) at a time; returns how many. */
export async function deleteObjects(bucket: R2Bucket, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor });
    if (page.objects.length > 0) await bucket.delete(page.objects.map((object) => object.key));
    deleted += page.objects.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return deleted;
}
