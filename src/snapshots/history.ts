// A document's history for the admin API: its snapshots, compaction on demand, and restore.
import * as Y from "yjs";
import { SnapshotUnavailable } from "./archive";
import { applyEncoded, type UpdateEncoding } from "./encoding";
import type { Compactor } from "./compactor";
import { buildRestoreUpdate, RestoreConflict } from "./restore";
import type { SnapshotReason, SnapshotRecord } from "./snapshotIndex";

/** Why a history operation did not happen; the admin API turns each into an HTTP status. */
export type HistoryProblem = "snapshot_not_found" | "snapshot_unavailable" | "snapshot_store_unavailable" | "restore_conflict";

/** A result that crosses RPC intact (thrown errors lose their class on the way). */
export type HistoryResult<T> = { ok: true; value: T } | { ok: false; problem: HistoryProblem; message: string };

const ok = <T>(value: T): HistoryResult<T> => ({ ok: true, value });
const fail = (problem: HistoryProblem, message: string): HistoryResult<never> => ({ ok: false, problem, message });

/** A snapshot as the admin API shows it. Its id is the log sequence number it covers. */
export interface SnapshotInfo {
  id: string;
  seq: number;
  createdAt: string;
  size: number;
  sha256: string;
  reason: SnapshotReason;
  encoding: UpdateEncoding;
}

export interface RestoreResult {
  restoredFrom: SnapshotInfo;
  /** False when the content already equalled the snapshot's. */
  changed: boolean;
  /** The snapshot taken right after the restore, or null if R2 could not take it yet (the log has the change). */
  snapshot: SnapshotInfo | null;
}

/** The room operations a restore needs. */
export interface RestoreTarget {
  withSettledDoc<T>(read: (doc: Y.Doc) => T): Promise<T>;
  applyServerUpdate(update: Uint8Array, userId: string): Promise<boolean>;
}

export const describeSnapshot = (s: SnapshotRecord): SnapshotInfo => ({
  id: String(s.seq),
  seq: s.seq,
  createdAt: new Date(s.createdAt).toISOString(),
  size: s.size,
  sha256: s.sha256,
  reason: s.reason,
  encoding: s.encoding,
});

const notFound = (id: string) => fail("snapshot_not_found", `No snapshot ${JSON.stringify(id)} for this document.`);

export class SnapshotHistory {
  constructor(
    private readonly compactor: Compactor,
    private readonly room: RestoreTarget,
  ) {}

  /** Newest first. */
  list(): SnapshotInfo[] {
    return this.compactor.index.list().map(describeSnapshot);
  }

  /** The stored record (with its R2 key) of snapshot `id`. */
  find(id: string): HistoryResult<SnapshotRecord> {
    const record = /^\d{1,15}$/.test(id) ? this.compactor.index.get(Number(id)) : null;
    return record ? ok(record) : notFound(id);
  }

  /** Compacts now; `created` is false when the newest snapshot already covers every update. */
  async create(): Promise<HistoryResult<{ snapshot: SnapshotInfo; created: boolean }>> {
    try {
      const { snapshot, created } = await this.compactor.compact("manual");
      return ok({ snapshot: describeSnapshot(snapshot), created });
    } catch (error) {
      console.error("manual compaction failed", { error });
      return fail("snapshot_store_unavailable", "The snapshot could not be stored; the document is unchanged. Try again later.");
    }
  }

  /**
   * Makes the document's content equal to snapshot `id`'s for everyone, as one new change that
   * is logged and broadcast like any edit, then snapshots the result so history shows it.
   */
  async restore(id: string, userId: string): Promise<HistoryResult<RestoreResult>> {
    const found = this.find(id);
    if (!found.ok) return found;
    const record = found.value;
    let bytes: Uint8Array;
    try {
      bytes = this.compactor.index.localCopy(record.seq) ?? (await this.compactor.archive.get(record.key, record.sha256));
    } catch (error) {
      if (error instanceof SnapshotUnavailable) return fail("snapshot_unavailable", `Snapshot ${id} is ${error.reason} in storage.`);
      console.error("reading a snapshot for restore failed", { id, error });
      return fail("snapshot_store_unavailable", "The snapshot store could not be read. Try again later.");
    }
    const target = new Y.Doc();
    applyEncoded(target, bytes, record.encoding);
    let update: Uint8Array | null;
    try {
      update = await this.room.withSettledDoc((doc) => buildRestoreUpdate(doc, target));
    } catch (error) {
      if (error instanceof RestoreConflict) return fail("restore_conflict", error.message);
      throw error;
    }
    const changed = update ? await this.room.applyServerUpdate(update, userId) : false;
    let snapshot: SnapshotInfo | null = null;
    try {
      snapshot = describeSnapshot((await this.compactor.compact("restore")).snapshot);
    } catch (error) {
      // The restore is durable in the log; the alarm folds it into a snapshot later.
      console.error("snapshot after restore failed", { id, error });
    }
    return ok({ restoredFrom: describeSnapshot(record), changed, snapshot });
  }
}
