// Versioned schema migrations for a document's own SQLite database. Append new steps; never edit old ones.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "update log",
    sql: `
      CREATE TABLE update_log (
        seq        INTEGER NOT NULL,
        part       INTEGER NOT NULL,
        parts      INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        user_id    TEXT,
        data       BLOB NOT NULL,
        PRIMARY KEY (seq, part)
      );
      CREATE TABLE document_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    // Snapshots in R2 (src/snapshots/): one row each, keyed by the last log seq it covers, plus
    // the newest snapshot's bytes kept locally in chunks so a cold load does not need R2.
    version: 2,
    name: "snapshots",
    sql: `
      CREATE TABLE snapshots (
        seq        INTEGER PRIMARY KEY,
        created_at INTEGER NOT NULL,
        size       INTEGER NOT NULL,
        sha256     TEXT NOT NULL,
        r2_key     TEXT NOT NULL,
        reason     TEXT NOT NULL
      );
      CREATE INDEX snapshots_by_created_at ON snapshots (created_at);
      CREATE TABLE snapshot_chunks (
        seq  INTEGER NOT NULL,
        part INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (seq, part)
      );
    `,
  },
  {
    // Snapshots are written in the Yjs V2 encoding (about half the size of V1); older ones stay V1.
    // The document's V1 size is recorded with each, so the size limit needs no encoding to check.
    version: 3,
    name: "snapshot encoding",
    sql: `
      ALTER TABLE snapshots ADD COLUMN encoding TEXT NOT NULL DEFAULT 'v1';
      ALTER TABLE snapshots ADD COLUMN v1_size INTEGER;
    `,
  },
  {
    // Revoked access (POST /v1/docs/:id/revoke): tokens issued at or before `revoked_at` (seconds)
    // are refused. `user_id` '' stands for every user (real user ids are never empty).
    version: 4,
    name: "revocations",
    sql: `CREATE TABLE revocations (user_id TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL);`,
  },
  {
    // Change events waiting for the document's alarm to send them to the EVENTS queue
    // (src/events/outbox.ts). `figures` is the event's { seq, sizeBytes, lastEditor } as JSON, or
    // null for events that carry the document's figures as of sending.
    version: 5,
    name: "event outbox",
    sql: `
      CREATE TABLE event_outbox (
        position    INTEGER PRIMARY KEY,
        id          TEXT NOT NULL UNIQUE,
        type        TEXT NOT NULL,
        occurred_at INTEGER NOT NULL,
        snapshot_id TEXT,
        figures     TEXT
      );
    `,
  },
];

/** Brings the database up to the newest schema. Synchronous, so it finishes before any event is handled. */
export function migrate(sql: SqlStorage, storage: DurableObjectStorage): number {
  sql.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const current = sql.exec<{ v: number | null }>(`SELECT MAX(version) AS v FROM schema_migrations`).one().v ?? 0;
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    storage.transactionSync(() => {
      sql.exec(migration.sql);
      sql.exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, migration.version, migration.name, Date.now());
    });
  }
  return MIGRATIONS.at(-1)?.version ?? 0;
}
