// The snapshot figures the index shows, read from the document's `snapshots` table (src/snapshots/).

export interface SnapshotSummary {
  count: number;
  latestSeq: number | null;
  latestAt: number | null;
}

const NONE: SnapshotSummary = { count: 0, latestSeq: null, latestAt: null };

/** Counts the document's snapshots and names the newest; none when the table does not exist. */
export function snapshotSummary(sql: SqlStorage): SnapshotSummary {
  const table = sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'snapshots'`).toArray();
  if (table.length === 0) return NONE;
  const { count } = sql.exec<{ count: number }>(`SELECT COUNT(*) AS count FROM snapshots`).one();
  const newest = sql.exec<{ seq: number; created_at: number }>(`SELECT seq, created_at FROM snapshots ORDER BY seq DESC LIMIT 1`).toArray()[0];
  return { count, latestSeq: newest?.seq ?? null, latestAt: newest?.created_at ?? null };
}
