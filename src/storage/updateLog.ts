// The durable update log: every accepted Yjs update, in order, in the document's SQLite database.
// Updates above CHUNK_BYTES are split across rows because SQLite rows are limited to 2 MB.
import * as Y from "yjs";
import { joinChunks, toChunks } from "./chunks";

export { CHUNK_BYTES } from "./chunks";

export interface LogStats {
  updates: number;
  bytes: number;
  lastSeq: number;
}

export class UpdateLog {
  /** Cached high-water mark; undefined until read after a wake. */
  private highWater: number | undefined;

  constructor(
    private readonly sql: SqlStorage,
    private readonly storage: DurableObjectStorage,
  ) {}

  /** Appends one update atomically and returns its sequence number. */
  append(update: Uint8Array, userId: string | null, now = Date.now()): number {
    const chunks = toChunks(update);
    return this.storage.transactionSync(() => {
      const seq = this.lastSeq() + 1;
      chunks.forEach((chunk, part) =>
        this.sql.exec(
          `INSERT INTO update_log (seq, part, parts, created_at, user_id, data) VALUES (?, ?, ?, ?, ?, ?)`,
          seq, part, chunks.length, now, userId, chunk,
        ),
      );
      this.highWater = seq;
      return seq;
    });
  }

  /**
   * The newest sequence number ever assigned: the newest row's, or the mark `deleteThrough` leaves
   * when it empties the log. Numbers must never be reused, or a new update could pass for one a
   * snapshot already covers.
   */
  lastSeq(): number {
    if (this.highWater === undefined) {
      const stored = this.sql.exec<{ value: string }>(`SELECT value FROM document_meta WHERE key = 'log_last_seq'`).toArray()[0];
      const inLog = this.sql.exec<{ seq: number | null }>(`SELECT MAX(seq) AS seq FROM update_log`).one().seq ?? 0;
      this.highWater = Math.max(Number(stored?.value ?? 0), inLog);
    }
    return this.highWater;
  }

  /** Forgets the cached high-water mark after the storage under it was deleted. */
  forget(): void {
    this.highWater = undefined;
  }

  /** Yields every stored update after `afterSeq`, in order, reassembling chunked ones. */
  *read(afterSeq = 0): Generator<{ seq: number; update: Uint8Array }> {
    const rows = this.sql.exec<{ seq: number; part: number; parts: number; data: ArrayBuffer }>(
      `SELECT seq, part, parts, data FROM update_log WHERE seq > ? ORDER BY seq, part`,
      afterSeq,
    );
    let pending: Uint8Array[] = [];
    for (const row of rows) {
      pending.push(new Uint8Array(row.data));
      if (row.part + 1 < row.parts) continue;
      yield { seq: row.seq, update: joinChunks(pending) };
      pending = [];
    }
  }

  /** Applies the whole log to `doc` in one transaction (one observer pass instead of one per update). */
  replayInto(doc: Y.Doc, afterSeq = 0): number {
    let last = afterSeq;
    doc.transact(() => {
      for (const { seq, update } of this.read(afterSeq)) {
        Y.applyUpdate(doc, update);
        last = seq;
      }
    });
    return last;
  }

  /**
   * Deletes updates up to and including `seq` (a snapshot now holds them), at most `limit` sequence
   * numbers from the oldest; later ones stay. Returns whether some up to `seq` remain.
   */
  deleteThrough(seq: number, limit = Infinity): boolean {
    const first = this.sql.exec<{ seq: number | null }>(`SELECT MIN(seq) AS seq FROM update_log`).one().seq;
    if (first === null || first > seq) return false;
    const upTo = Math.min(seq, first + limit - 1);
    // Same transaction as the delete (no await between): the mark outlives the rows it replaces.
    this.sql.exec(
      `INSERT INTO document_meta (key, value) VALUES ('log_last_seq', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      String(this.lastSeq()),
    );
    this.sql.exec(`DELETE FROM update_log WHERE seq <= ?`, upTo);
    return upTo < seq;
  }

  /** When the newest stored update was written, or null for an empty log. */
  lastWriteAt(): number | null {
    return this.sql.exec<{ created_at: number }>(`SELECT created_at FROM update_log ORDER BY seq DESC LIMIT 1`).toArray()[0]?.created_at ?? null;
  }

  /** Counts the stored updates after `afterSeq` (all of them by default). */
  stats(afterSeq = 0): LogStats {
    const row = this.sql
      .exec<{ updates: number; bytes: number | null; lastSeq: number | null }>(
        `SELECT COUNT(DISTINCT seq) AS updates, SUM(LENGTH(data)) AS bytes, MAX(seq) AS lastSeq FROM update_log WHERE seq > ?`,
        afterSeq,
      )
      .one();
    return { updates: row.updates, bytes: row.bytes ?? 0, lastSeq: row.lastSeq ?? 0 };
  }
}
