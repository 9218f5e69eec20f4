-- The document index: one row per document, written only by that document's Durable Object.
-- Times are milliseconds since the epoch; metadata is the operator's JSON object.
CREATE TABLE documents (
  id                 TEXT PRIMARY KEY,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  size_bytes         INTEGER NOT NULL DEFAULT 0,
  stored_bytes       INTEGER NOT NULL DEFAULT 0,
  update_count       INTEGER NOT NULL DEFAULT 0,
  snapshot_count     INTEGER NOT NULL DEFAULT 0,
  latest_snapshot_seq INTEGER,
  latest_snapshot_at  INTEGER,
  connection_count   INTEGER NOT NULL DEFAULT 0,
  last_editor        TEXT,
  metadata           TEXT NOT NULL DEFAULT '{}',
  indexed_at         INTEGER NOT NULL
);

-- Keyset pagination for `order=updated` and `order=created` (newest first, ties broken by id).
-- `order=id` and `prefix=` use the primary key.
CREATE INDEX documents_by_updated ON documents (updated_at, id);
CREATE INDEX documents_by_created ON documents (created_at, id);
