// The `snapshots` table: which snapshots exist in R2, newest first, plus a local copy of the newest
// one's bytes (chunked, since SQLite rows stop at 2 MB) so a cold load never waits on R2.
import { joinChunks, toChunks } from "../storage/chunks";
import type { UpdateEncoding } from "./encoding";

/** Why a snapshot was taken. */
export type SnapshotReason = "threshold" | "quiet" | "manual" | "restore";

export interface SnapshotRecord {
  /** The last log sequence number the snapshot covers. */
  seq: number;
  createdAt: number;
  size: number;
  sha256: string;
  key: string;
  reason: SnapshotReason;
  /** How the bytes are encoded; snapshots from before V2 was introduced are V1. */
  encoding: UpdateEncoding;
  /** The document's size in the Yjs V1 encoding at this snapshot; null when not recorded. */
  v1Size: number | null;
}

interface Row extends Record<string, SqlStorageValue> {
  seq: number;
  created_at: number;
  size: number;
  sha256: string;
  r2_key: string;
  reason: string;
  encoding: string;
  v1_size: number | null;
}

const COLUMNS = `seq, created_at, size, sha256, r2_key, reason, encoding, v1_size`;

export class SnapshotIndex {
  constructor(private readonly sql: SqlStorage) {}

  /** Every recorded snapshot, newest first. */
  list(): SnapshotRecord[] {
    return this.sql.exec<Row>(`SELECT ${COLUMNS} FROM snapshots ORDER BY seq DESC`).toArray().map(toRecord);
  }

  newest(): SnapshotRecord | null {
    const row = this.sql.exec<Row>(`SELECT ${COLUMNS} FROM snapshots ORDER BY seq DESC LIMIT 1`).toArray()[0];
    return row ? toRecord(row) : null;
  }

  get(seq: number): SnapshotRecord | null {
    const row = this.sql.exec<Row>(`SELECT ${COLUMNS} FROM snapshots WHERE seq = ?`, seq).toArray()[0];
    return row ? toRecord(row) : null;
  }

  /**
   * Records a snapshot already stored in R2 and makes `bytes` the local copy, replacing the
   * previous one. Call inside a transaction together with the log truncation it allows.
   */
  record(snapshot: SnapshotRecord, bytes: Uint8Array): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO snapshots (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      snapshot.seq, snapshot.createdAt, snapshot.size, snapshot.sha256, snapshot.key, snapshot.reason, snapshot.encoding, snapshot.v1Size,
    );
    this.sql.exec(`DELETE FROM snapshot_chunks`);
    toChunks(bytes).forEach((chunk, part) =>
      this.sql.exec(`INSERT INTO snapshot_chunks (seq, part, data) VALUES (?, ?, ?)`, snapshot.seq, part, chunk),
    );
  }

  /** The local copy of snapshot `seq`, or null when only R2 has it. */
  localCopy(seq: number): Uint8Array | null {
    const chunks = this.sql
      .exec<{ data: ArrayBuffer }>(`SELECT data FROM snapshot_chunks WHERE seq = ? ORDER BY part`, seq)
      .toArray()
      .map((row) => new Uint8Array(row.data));
    return chunks.length === 0 ? null : joinChunks(chunks);
  }

  /** Forgets snapshots (their R2 objects are deleted separately). */
  remove(seqs: number[]): void {
    for (const seq of seqs) this.sql.exec(`DELETE FROM snapshots WHERE seq = ?`, seq);
  }
}

function toRecord(row: Row): SnapshotRecord {
  return {
    seq: row.seq,
    createdAt: row.created_at,
    size: row.size,
    sha256: row.sha256,
    key: row.r2_key,
    reason: row.reason as SnapshotReason,
    encoding: row.encoding as UpdateEncoding,
    v1Size: row.v1_size ?? (row.encoding === "v1" ? row.size : null),
  };
}
