// The document Durable Object: a thin adapter from the platform's hooks (fetch, hibernatable
// WebSocket events) to the DocumentRoom. One object per document id.
import { DurableObject } from "cloudflare:workers";
import { DocumentAdmin } from "../admin/documentAdmin";
import { EventOutbox, readDebounceMs } from "../events/outbox";
import { DocumentFacts } from "../metadata/documentFacts";
import type { Metadata } from "../metadata/documentRecord";
import { IndexSync } from "../metadata/indexSync";
import type { Env } from "../env";
import { DocumentMeta } from "../storage/documentMeta";
import { migrate } from "../storage/schema";
import { UpdateLog } from "../storage/updateLog";
import { SnapshotArchive } from "../snapshots/archive";
import { Compactor } from "../snapshots/compactor";
import { readSnapshotConfig } from "../snapshots/config";
import { type HistoryResult, type RestoreResult, SnapshotHistory, type SnapshotInfo } from "../snapshots/history";
import { SnapshotIndex, type SnapshotRecord } from "../snapshots/snapshotIndex";
import { AlarmScheduler } from "./alarmScheduler";
import { type Limits, readLimits } from "./limits";
import { ghosts, readReapInterval } from "./reaping";
import { Revocations } from "./revocations";
import { type Session, SocketConnection } from "./connection";
import { DocumentRoom } from "./room";
import { CloseCode } from "../protocol/closeCodes";

/** Internal request headers from the Worker, which has already authenticated the client. */
export const SESSION_HEADER = "X-Quire-Session";
export const DOC_ID_HEADER = "X-Quire-Doc-Id";

export class DocumentObject extends DurableObject<Env> {
  readonly room: DocumentRoom;
  readonly log: UpdateLog;
  readonly alarms: AlarmScheduler;
  readonly meta: DocumentMeta;
  readonly facts: DocumentFacts;
  readonly indexSync: IndexSync;
  readonly events: EventOutbox;
  private readonly admin: DocumentAdmin;
  /** Set while the storage is deleted: nothing is written until the next contact re-creates the schema. */
  private wiped = false;
  readonly compactor: Compactor;
  readonly history: SnapshotHistory;
  readonly limits: Limits;
  readonly revocations: Revocations;
  /** Time between ghost-reaping runs while connections are open (REAP_INTERVAL_SECONDS). */
  reapIntervalMs: number;
  /**
   * The open sockets with their wrappers: listed from the runtime on first use after a wake, then
   * kept current by accept and close, so a relay neither lists the sockets nor reads their
   * attachments per message. (The same WebSocket object comes back for every event of an instance.)
   */
  private open: Map<WebSocket, SocketConnection> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage.sql, ctx.storage);
    // Heartbeats are answered by the runtime itself, so they never wake a hibernated object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    this.log = new UpdateLog(ctx.storage.sql, ctx.storage);
    this.limits = readLimits(env);
    this.revocations = new Revocations(ctx.storage.sql);
    this.alarms = new AlarmScheduler(ctx.storage);
    this.meta = new DocumentMeta(ctx.storage.sql);
    this.events = new EventOutbox(
      {
        sql: ctx.storage.sql,
        meta: this.meta,
        alarms: this.alarms,
        queue: env.EVENTS,
        live: () => !this.wiped,
        docId: () => this.docId,
        lastEditor: () => this.facts.activity()?.lastEditor ?? null,
        current: async () => {
          const record = await this.admin.record();
          return record && { figures: { seq: this.log.lastSeq(), sizeBytes: record.sizeBytes, lastEditor: record.lastEditor }, updatedAt: record.updatedAt };
        },
      },
      readDebounceMs(env),
    );
    this.facts = new DocumentFacts(this.meta, (createdAt) => this.events.noteCreated(createdAt));
    this.facts.recordWake();
    this.reapIntervalMs = readReapInterval(env.REAP_INTERVAL_SECONDS);
    this.admin = new DocumentAdmin(this, { sql: ctx.storage.sql, db: env.DB, snapshots: env.SNAPSHOTS, events: env.EVENTS });
    this.indexSync = new IndexSync({ meta: this.meta, alarms: this.alarms, db: env.DB, live: () => !this.wiped, collect: () => this.admin.record() });
    this.compactor = new Compactor(
      ctx.storage,
      this.log,
      new SnapshotIndex(ctx.storage.sql),
      new SnapshotArchive(env.SNAPSHOTS),
      this.alarms,
      () => this.docId ?? ctx.id.toString(),
      () => this.room,
      readSnapshotConfig(env),
    );
    this.compactor.onSnapshot = (snapshot) => this.events.noteSnapshot(snapshot);
    this.room = new DocumentRoom(
      {
        load: (doc) => this.compactor.loadInto(doc),
        append: (batch) => {
          this.log.append(batch.update, batch.userId);
          this.afterAppend(batch.update.byteLength, batch.userId);
        },
        synced: () => this.durable(),
      },
      () => this.openSockets().values(),
      this.limits,
    );
    this.history = new SnapshotHistory(this.compactor, this.room);
  }

  /**
   * The document id this object serves. Objects are addressed by name, but the name is not
   * readable inside the object, so the Worker passes it and the object keeps it.
   */
  get docId(): string | null {
    return this.meta.get("doc_id");
  }

  /** Records the document id on first contact; every entry point from the Worker calls this. */
  rememberDocId(docId: string | null): void {
    if (this.wiped) {
      migrate(this.ctx.storage.sql, this.ctx.storage);
      this.wiped = false;
    }
    if (docId && this.meta.get("doc_id") !== docId) this.meta.set("doc_id", docId);
  }

  override async fetch(request: Request): Promise<Response> {
    try {
      this.rememberDocId(request.headers.get(DOC_ID_HEADER));
      const session = JSON.parse(request.headers.get(SESSION_HEADER) ?? "null") as Session | null;
      if (!session || request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
        return errorJson(400, "bad_request", "expected an authenticated WebSocket upgrade");
      }
      const refused = this.refusal(session);
      if (refused) return refused;
      const [client, server] = Object.values(new WebSocketPair());
      this.ctx.acceptWebSocket(server);
      const connection = SocketConnection.accept(server, session, () => this.open?.delete(server));
      this.openSockets().set(server, connection);
      await this.room.connect(connection);
      this.indexSync.markDirty();
      this.scheduleReaping();
      return new Response(null, { status: 101, webSocket: client });
    } catch (error) {
      this.logError("fetch", request.headers.get(DOC_ID_HEADER), error);
      return errorJson(500, "internal_error", "the document failed to accept the connection");
    }
  }

  /**
   * Closes the connections nothing was heard from for too long (src/document/reaping.ts) and tells
   * the others their presence is gone; asks for the next run while connections stay open. Never throws.
   */
  private async reapGhosts(now = Date.now()): Promise<void> {
    try {
      const open = [...this.openSockets()].map(([ws, connection]) => ({
        connection,
        heardAt: Math.max(connection.session.connectedAt, connection.seenAt ?? 0, this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0),
      }));
      const silent = ghosts(open, now);
      for (const { connection, heardAt } of silent) {
        connection.close(CloseCode.connectionTimedOut, `nothing heard for ${Math.round((now - heardAt) / 1000)} s`);
        await this.room.disconnect(connection);
      }
      if (silent.length > 0) this.indexSync.markDirty(); // the connection count changed
      this.scheduleReaping(now);
    } catch (error) {
      this.logError("reapGhosts", this.docId, error);
    }
  }

  /** Asks the shared alarm for the next reaping run, if any connection is open. */
  private scheduleReaping(now = Date.now()): void {
    if (this.connections().length === 0) return;
    this.alarms.requestBy(now + this.reapIntervalMs).catch((error) => this.logError("scheduleReaping", this.docId, error));
  }

  /** Why a new connection is refused before the upgrade: a revoked token, or too many connections. */
  private refusal(session: Session): Response | null {
    if (this.revocations.isRevoked(session.userId, session.issuedAt)) {
      return errorJson(403, "token_revoked", "Access to this document was revoked for this token; ask for a new one.");
    }
    const open = this.connections();
    if (open.length >= this.limits.maxConnectionsPerDocument) {
      return errorJson(429, "too_many_connections", `The document has its maximum of ${this.limits.maxConnectionsPerDocument} connections.`);
    }
    if (open.filter((c) => c.session.userId === session.userId).length >= this.limits.maxConnectionsPerUser) {
      return errorJson(429, "too_many_connections", `This user has the maximum of ${this.limits.maxConnectionsPerUser} connections to the document.`);
    }
    return null;
  }

  /**
   * Bookkeeping after a batch is written: each kind of deferred work asks the shared alarm for a
   * time. Never throws: the batch is written, and its relays and acks must still go out.
   */
  private afterAppend(bytes: number, userId: string | null): void {
    try {
      this.facts.recordEdit(userId);
      this.indexSync.markDirty();
      this.events.noteEdit();
      this.compactor.noteAppend(bytes);
    } catch (error) {
      this.logError("afterAppend", this.docId, error);
    }
  }

  /** Resolves once every write so far is durable: the group commit's signal to write its next batch. */
  durable(): Promise<void> {
    return this.ctx.storage.sync();
  }

  override async alarm(): Promise<void> {
    this.alarms.fired();
    // The document was deleted after this alarm was set (a compaction in flight may set one as it
    // fails against the emptied storage): nothing is left to do.
    if (this.wiped) return;
    try {
      // Each kind of deferred work runs here and re-requests the alarm if it has more to do.
      await this.reapGhosts();
      await this.indexSync.runIfDue(); // never throws: a D1 outage must not hold up the work after it
      await this.events.runIfDue(); // never throws either: a queue outage only delays events
      await this.compactor.runIfDue();
      await this.compactor.retentionIfDue();
    } catch (error) {
      this.logError("alarm", null, error);
      throw error; // Alarms are retried with backoff when the handler throws.
    }
  }

  /** Snapshot history, newest first (admin API, src/admin/snapshots.ts). */
  async listSnapshots(docId: string): Promise<SnapshotInfo[]> {
    this.rememberDocId(docId);
    return this.history.list();
  }

  /** One snapshot's record, with its R2 key, for streaming it from R2. */
  async findSnapshot(docId: string, snapshotId: string): Promise<HistoryResult<SnapshotRecord>> {
    this.rememberDocId(docId);
    return this.history.find(snapshotId);
  }

  /** Compacts now and returns the new (or unchanged newest) snapshot. */
  async createSnapshot(docId: string): Promise<HistoryResult<{ snapshot: SnapshotInfo; created: boolean }>> {
    this.rememberDocId(docId);
    return this.history.create();
  }

  /** Makes the content equal to a snapshot's for every client, as a new logged change. */
  async restoreSnapshot(docId: string, snapshotId: string, userId: string): Promise<HistoryResult<RestoreResult>> {
    this.rememberDocId(docId);
    const result = await this.history.restore(snapshotId, userId);
    if (result.ok) this.events.noteRestored(result.value.restoredFrom.id);
    return result;
  }

  override async webSocketMessage(ws: WebSocket, message: ArrayBuffer | string): Promise<void> {
    if (this.wiped) return; // a late frame from a socket the delete closed
    try {
      const connection = this.connection(ws);
      connection.noteSeen();
      await this.room.receive(connection, message);
    } catch (error) {
      this.logError("webSocketMessage", null, error);
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      // Completes the closing handshake on runtimes that do not reply to a close frame by themselves.
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed.
    }
    await this.forget(ws, "webSocketClose");
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    this.logError("webSocketError", null, error);
    await this.forget(ws, "webSocketError");
  }

  private async forget(ws: WebSocket, hook: string): Promise<void> {
    this.open?.delete(ws);
    try {
      await this.room.disconnect(this.connection(ws));
      this.indexSync.markDirty();
    } catch (error) {
      this.logError(hook, null, error);
    }
  }

  // Admin operations, called over RPC by the Worker's /v1 handlers (src/admin/); each names its document.
  adminInfo(docId: string) {
    this.rememberDocId(docId);
    return this.admin.record();
  }

  /** The record plus how often this object has started (GET /v1/docs/:docId). */
  async adminDetail(docId: string) {
    const record = await this.adminInfo(docId);
    return record && { record, wakes: this.facts.wakes() };
  }

  adminCreate(docId: string, init: { update?: Uint8Array; metadata?: Metadata }) {
    this.rememberDocId(docId);
    return this.admin.create(init);
  }

  adminPatchMetadata(docId: string, patch: Metadata) {
    this.rememberDocId(docId);
    return this.admin.patchMetadata(patch);
  }

  adminEncodeState(docId: string, stateVector: Uint8Array | null) {
    this.rememberDocId(docId);
    return this.admin.encodeState(stateVector);
  }

  adminApplyUpdate(docId: string, update: Uint8Array) {
    this.rememberDocId(docId);
    return this.admin.apply(update);
  }

  adminJson(docId: string) {
    this.rememberDocId(docId);
    return this.admin.json();
  }

  adminSessions(docId: string) {
    this.rememberDocId(docId);
    return this.admin.sessions();
  }

  adminDisconnect(docId: string, filter: { userId?: string; sessionId?: string }) {
    this.rememberDocId(docId);
    return this.admin.disconnect(filter);
  }

  /** Revokes access; with `ifExists`, only for a document that exists here (null otherwise, nothing written). */
  adminRevoke(docId: string, userId: string | null, ifExists = false) {
    if (ifExists && !this.admin.exists()) return null;
    this.rememberDocId(docId);
    return this.admin.revoke(userId);
  }

  adminDelete(docId: string) {
    this.rememberDocId(docId);
    return this.admin.delete(docId);
  }

  /**
   * Deletes everything this object stores, alarm included; the next contact starts an empty document.
   * Every part that caches what storage held forgets it here, so nothing in memory outlives the
   * document. (`ctx.abort()` would reset the instance too, but logs an uncaught error every time.)
   */
  async wipeStorage(): Promise<void> {
    this.wiped = true;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.alarms.fired();
    this.indexSync.forget();
    this.facts.forget();
    this.log.forget();
    this.compactor.forget();
    this.events.forget();
    await this.room.reset();
  }

  storedSize(): number | null {
    return this.compactor.storedSize();
  }

  compactionsIdle(): Promise<void> {
    return this.compactor.idle();
  }

  /** Open connections; a socket the server or its client has closed is left out. */
  connections(): SocketConnection[] {
    return [...this.openSockets().values()];
  }

  private openSockets(): Map<WebSocket, SocketConnection> {
    if (!this.open) {
      this.open = new Map();
      for (const ws of this.ctx.getWebSockets()) {
        if (ws.readyState === WebSocket.OPEN) this.open.set(ws, new SocketConnection(ws, () => this.open?.delete(ws)));
      }
    }
    return this.open;
  }

  /** The wrapper of a socket an event came from (one no longer open still gets one, outside the set). */
  private connection(ws: WebSocket): SocketConnection {
    return this.openSockets().get(ws) ?? new SocketConnection(ws, () => {});
  }

  private logError(hook: string, docId: string | null, error: unknown): void {
    console.error(`DocumentObject.${hook} failed`, { object: this.ctx.id.toString(), docId, error });
  }
}

function errorJson(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}
