// Compaction and retention settings, read from the Worker's `vars` (wrangler.jsonc) with defaults.

export interface SnapshotConfig {
  /** Compact as soon as the log holds this many updates. */
  maxUpdates: number;
  /** Compact as soon as the log holds this many bytes. */
  maxBytes: number;
  /** Compact once the document has been quiet this long after its last edit (ms). */
  quietMs: number;
  /** After a failed compaction (R2 unreachable), try again this much later (ms). */
  retryMs: number;
  /** Always keep this many of the newest snapshots (at least 1: the newest is what loading starts from). */
  keepLatest: number;
  /** Also keep the newest snapshot of each of the last this-many days (UTC). */
  keepDays: number;
}

/** The variables, as strings or numbers, under the names they have in `vars`. */
export interface SnapshotVars {
  COMPACT_MAX_UPDATES?: string | number;
  COMPACT_MAX_BYTES?: string | number;
  COMPACT_QUIET_SECONDS?: string | number;
  COMPACT_RETRY_SECONDS?: string | number;
  SNAPSHOT_KEEP_LATEST?: string | number;
  SNAPSHOT_KEEP_DAYS?: string | number;
}

export const DEFAULT_CONFIG: Readonly<SnapshotConfig> = {
  maxUpdates: 2000,
  maxBytes: 1024 * 1024,
  quietMs: 300_000,
  retryMs: 60_000,
  keepLatest: 20,
  keepDays: 30,
};

/** Parses the settings; a missing, non-numeric or negative value falls back to its default. */
export function readSnapshotConfig(vars: SnapshotVars): SnapshotConfig {
  const num = (value: string | number | undefined, fallback: number, scale = 1) => {
    const parsed = typeof value === "number" ? value : value === undefined || value === "" ? NaN : Number(value);
    return Number.isFinite(parsed) && parsed >= 0 ? parsed * scale : fallback;
  };
  return {
    maxUpdates: Math.max(1, num(vars.COMPACT_MAX_UPDATES, DEFAULT_CONFIG.maxUpdates)),
    maxBytes: Math.max(1, num(vars.COMPACT_MAX_BYTES, DEFAULT_CONFIG.maxBytes)),
    quietMs: num(vars.COMPACT_QUIET_SECONDS, DEFAULT_CONFIG.quietMs, 1000),
    retryMs: num(vars.COMPACT_RETRY_SECONDS, DEFAULT_CONFIG.retryMs, 1000),
    keepLatest: Math.max(1, Math.floor(num(vars.SNAPSHOT_KEEP_LATEST, DEFAULT_CONFIG.keepLatest))),
    keepDays: Math.floor(num(vars.SNAPSHOT_KEEP_DAYS, DEFAULT_CONFIG.keepDays)),
  };
}
