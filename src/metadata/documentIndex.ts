// The D1 document index: one row per document. Each row is written only by its document's Durable
// Object (src/metadata/indexSync.ts); the Worker reads it for listing and existence checks.
import type { DocumentRecord, Metadata } from "./documentRecord";

/** A row of the `documents` table (migrations/0001_documents.sql). */
export interface DocumentRow {
  id: string;
  created_at: number;
  updated_at: number;
  size_bytes: number;
  stored_bytes: number;
  update_count: number;
  snapshot_count: number;
  latest_snapshot_seq: number | null;
  latest_snapshot_at: number | null;
  connection_count: number;
  last_editor: string | null;
  metadata: string;
  indexed_at: number;
}

export const COLUMNS =
  "id, created_at, updated_at, size_bytes, stored_bytes, update_count, snapshot_count, latest_snapshot_seq, latest_snapshot_at, connection_count, last_editor, metadata, indexed_at";

export function fromRow(row: DocumentRow): { record: DocumentRecord; indexedAt: number } {
  return {
    record: {
      id: row.id,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      sizeBytes: row.size_bytes,
      storedBytes: row.stored_bytes,
      updateCount: row.update_count,
      snapshotCount: row.snapshot_count,
      latestSnapshotSeq: row.latest_snapshot_seq,
      latestSnapshotAt: row.latest_snapshot_at,
      connections: row.connection_count,
      lastEditor: row.last_editor,
      metadata: JSON.parse(row.metadata) as Metadata,
    },
    indexedAt: row.indexed_at,
  };
}

/** Writes a document's row, inserting it or replacing every column: one D1 statement. */
export async function upsertDocument(db: D1Database, record: DocumentRecord, now = Date.now()): Promise<void> {
  await db
    .prepare(
      `INSERT INTO documents (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET
         created_at = excluded.created_at, updated_at = excluded.updated_at, size_bytes = excluded.size_bytes,
         stored_bytes = excluded.stored_bytes, update_count = excluded.update_count,
         snapshot_count = excluded.snapshot_count, latest_snapshot_seq = excluded.latest_snapshot_seq,
         latest_snapshot_at = excluded.latest_snapshot_at, connection_count = excluded.connection_count,
         last_editor = excluded.last_editor, metadata = excluded.metadata, indexed_at = excluded.indexed_at`,
    )
    .bind(
      record.id, record.createdAt, record.updatedAt, record.sizeBytes, record.storedBytes, record.updateCount,
      record.snapshotCount, record.latestSnapshotSeq, record.latestSnapshotAt, record.connections, record.lastEditor,
      JSON.stringify(record.metadata), now,
    )
    .run();
}

/** Removes a document's row; returns whether there was one. */
export async function deleteDocument(db: D1Database, id: string): Promise<boolean> {
  const result = await db.prepare(`DELETE FROM documents WHERE id = ?`).bind(id).run();
  return result.meta.changes > 0;
}

export async function getDocument(db: D1Database, id: string): Promise<{ record: DocumentRecord; indexedAt: number } | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM documents WHERE id = ?`).bind(id).first<DocumentRow>();
  return row ? fromRow(row) : null;
}
