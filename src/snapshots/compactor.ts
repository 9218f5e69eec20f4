// Compaction: folds the update log into an R2 snapshot on the document's alarm, and loads a
// document from its newest snapshot plus the log written after it.
import * as Y from "yjs";
import type { UpdateLog } from "../storage/updateLog";
import { type SnapshotArchive, sha256Hex, snapshotKey, snapshotPrefix, seqOfKey } from "./archive";
import type { SnapshotConfig } from "./config";
import { applyEncoded, encodeDocument, SNAPSHOT_ENCODING } from "./encoding";
import { expiredSnapshots, nextExpiry } from "./retention";
import type { SnapshotIndex, SnapshotReason, SnapshotRecord } from "./snapshotIndex";

/** The live document the room holds; compaction encodes it rather than replaying the log again. */
export interface LiveDocument {
  /** Runs `read` synchronously at a moment when the document holds nothing that is not written. */
  withSettledDoc<T>(read: (doc: Y.Doc) => T): Promise<T>;
}

export interface CompactionResult {
  snapshot: SnapshotRecord;
  /** False when the newest snapshot already covered the whole log. */
  created: boolean;
  /** The longest synchronous step, during which the object handles no other event. */
  blockingMs: number;
  timings: {
    /** Encoding the live document. */
    encodeMs: number;
    /** The transaction that records the snapshot and deletes the first batch of covered log rows. */
    commitMs: number;
    /** Deleting the remaining covered rows, in batches with other events let in between (total). */
    trimMs: number;
  };
}

interface Tail {
  /** Log entries (group-commit batches) and their bytes. */
  entries: number;
  bytes: number;
  /** How much the thresholds are stretched for this document: its snapshot's size in COMPACT_MAX_BYTES, at least 1. */
  scale: number;
}

/** Log rows deleted per transaction; a long log (say, one older than compaction) goes in steps. */
export const TRIM_BATCH = 5_000;

export class Compactor {
  /** Entries and bytes in the log after the newest snapshot, counted since the object woke; null until first needed. */
  private tail: Tail | null = null;
  /** A compaction started from the write path is running. */
  private compactingInline = false;
  /** After a failure, no attempt before this time, however many updates arrive. */
  private retryAfter = 0;
  private running: Promise<unknown> = Promise.resolve();
  trimBatch = TRIM_BATCH;
  /** Told about each new snapshot inside the transaction that records it (its change event). */
  onSnapshot: (snapshot: SnapshotRecord) => void = () => {};

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly log: UpdateLog,
    readonly index: SnapshotIndex,
    readonly archive: SnapshotArchive,
    private readonly alarms: { requestBy(at: number): Promise<void> },
    /** The document id used in R2 keys. */
    private readonly docKey: () => string,
    private readonly live: () => LiveDocument,
    public config: SnapshotConfig,
  ) {}

  /** Forgets the log counts and any retry wait after the storage under them was deleted. */
  forget(): void {
    this.tail = null;
    this.retryAfter = 0;
  }

  /**
   * Applies the newest snapshot (local copy, else R2) and every update logged after it. Returns the
   * document's size as its V1 encoding, as far as storage tells (null when it does not).
   */
  async loadInto(doc: Y.Doc): Promise<number | null> {
    const newest = this.index.newest();
    const base = newest ? (this.index.localCopy(newest.seq) ?? (await this.archive.get(newest.key, newest.sha256))) : null;
    doc.transact(() => {
      if (base && newest) applyEncoded(doc, base, newest.encoding);
      this.log.replayInto(doc, newest?.seq ?? 0);
    });
    return this.storedSize();
  }

  /**
   * The document's size as its V1 encoding, from what is stored: the newest snapshot's recorded
   * size plus the log after it (an upper bound: it counts what later edits deleted). Null when the
   * newest snapshot did not record its size. Reads no document.
   */
  storedSize(): number | null {
    const newest = this.index.newest();
    if (newest && newest.v1Size === null) return null;
    return (newest?.v1Size ?? 0) + this.tailStats().bytes;
  }

  /**
   * Called after every stored batch. Past a threshold it compacts at once: an alarm does not run
   * while messages keep coming (measured locally: a 100,000-update stream got its only snapshot
   * at the end), so a sustained stream would otherwise grow the log without bound. Otherwise it
   * asks the alarm for the end of the quiet period. Never throws: the batch is already stored, and
   * a missed request only delays compaction.
   */
  noteAppend(bytes: number, now = Date.now()): void {
    try {
      if (this.tail) {
        this.tail.entries += 1;
        this.tail.bytes += bytes;
      } else {
        this.tailStats(); // the first count after a wake reads the log, which already holds this batch
      }
      if (!this.overThreshold()) {
        void this.request(Math.max(now + this.config.quietMs, this.retryAfter));
      } else if (now < this.retryAfter) {
        void this.request(this.retryAfter); // an earlier attempt failed: the alarm retries then
      } else if (!this.compactingInline) {
        this.compactingInline = true;
        void this.runIfDue(now).finally(() => (this.compactingInline = false));
      }
    } catch (error) {
      console.error("could not schedule compaction", { docId: this.docKey(), error });
    }
  }

  /** The alarm's share: compacts when a threshold is passed or the quiet period is over. */
  async runIfDue(now = Date.now()): Promise<void> {
    if (this.tailStats().entries === 0) return;
    if (now < this.retryAfter) return this.request(this.retryAfter);
    const over = this.overThreshold();
    const quietAt = (this.log.lastWriteAt() ?? now) + this.config.quietMs;
    if (!over && now < quietAt) return this.request(quietAt);
    try {
      const result = await this.compact(over ? "threshold" : "quiet", now);
      this.retryAfter = 0;
      console.log("compacted", { docId: this.docKey(), seq: result.snapshot.seq, size: result.snapshot.size, blockingMs: result.blockingMs });
    } catch (error) {
      // The log is intact and the document fully usable; only the fold into R2 waits.
      this.retryAfter = now + this.config.retryMs;
      console.error("compaction failed; retrying later", { docId: this.docKey(), retryAt: this.retryAfter, error });
      await this.request(this.retryAfter);
    }
  }

  /** Resolves once no compaction is running (a delete waits for an upload in flight before sweeping R2). */
  idle(): Promise<void> {
    return this.running.then(() => undefined);
  }

  /** Snapshots the document now (one compaction at a time); returns the newest snapshot if nothing is new. */
  compact(reason: SnapshotReason, now = Date.now()): Promise<CompactionResult> {
    const run = this.running.then(() => this.compactOnce(reason, now));
    this.running = run.catch(() => undefined);
    return run;
  }

  private async compactOnce(reason: SnapshotReason, now: number): Promise<CompactionResult> {
    // The encoded state and `seq` describe the same moment: nothing written or buffered between.
    const state = await this.live().withSettledDoc((doc) => {
      const seq = this.log.lastSeq();
      const newest = this.index.newest();
      if (newest && newest.seq >= seq) return { seq, newest, bytes: null, v1Size: 0, encodeMs: 0 };
      const started = performance.now();
      const bytes = encodeDocument(doc, SNAPSHOT_ENCODING);
      const v1Size = SNAPSHOT_ENCODING === "v1" ? bytes.byteLength : Y.encodeStateAsUpdate(doc).byteLength;
      return { seq, newest, bytes, v1Size, encodeMs: performance.now() - started };
    });
    if (!state.bytes) {
      const trim = await this.trimThrough(state.newest!.seq); // rows a crashed earlier run left
      return { snapshot: state.newest!, created: false, blockingMs: trim.longestMs, timings: { encodeMs: 0, commitMs: 0, trimMs: trim.totalMs } };
    }
    const { seq, bytes, v1Size, encodeMs } = state;

    const key = snapshotKey(this.docKey(), seq);
    const snapshot: SnapshotRecord = { seq, createdAt: now, size: bytes.byteLength, sha256: await sha256Hex(bytes), key, reason, encoding: SNAPSHOT_ENCODING, v1Size };
    await this.archive.put(key, bytes, snapshot.sha256, { seq: String(seq), createdAt: new Date(now).toISOString(), reason, encoding: SNAPSHOT_ENCODING });

    // R2 holds the snapshot: record it and start dropping the log rows it covers, atomically.
    // Updates that arrived during the upload have higher sequence numbers and stay.
    const started = performance.now();
    const more = this.storage.transactionSync(() => {
      this.index.record(snapshot, bytes);
      this.onSnapshot(snapshot);
      return this.log.deleteThrough(seq, this.trimBatch);
    });
    this.tail = null;
    const commitMs = performance.now() - started;
    const trim = await this.trimThrough(seq, more);

    await this.applyRetention(now).catch((error) => console.error("snapshot retention failed", { docId: this.docKey(), error }));
    await this.scheduleRetention(now);
    return { snapshot, created: true, blockingMs: Math.max(encodeMs, commitMs, trim.longestMs), timings: { encodeMs, commitMs, trimMs: trim.totalMs } };
  }

  /**
   * Deletes the log rows up to `seq`, which a recorded snapshot covers, in batches with a yield
   * between so queued edits get in. Never throws: loads and counts already skip these rows, and
   * whatever a failure leaves, the next compaction deletes.
   */
  private async trimThrough(seq: number, more = true): Promise<{ totalMs: number; longestMs: number }> {
    let [totalMs, longestMs] = [0, 0];
    try {
      while (more) {
        await scheduler.wait(0);
        const started = performance.now();
        more = this.log.deleteThrough(seq, this.trimBatch);
        const step = performance.now() - started;
        [totalMs, longestMs] = [totalMs + step, Math.max(longestMs, step)];
      }
    } catch (error) {
      console.error("trimming the compacted log failed; the next compaction retries", { docId: this.docKey(), error });
    }
    return { totalMs, longestMs };
  }

  /**
   * Retention on its own schedule, from the alarm: snapshots expire by the calendar, so an idle
   * document lets them go too. Applies what is due and asks the alarm for the next expiry (none if
   * nothing will expire). Reads no document. Never throws.
   */
  async retentionIfDue(now = Date.now()): Promise<void> {
    try {
      if (expiredSnapshots(this.index.list(), now, this.config.keepLatest, this.config.keepDays).length > 0) await this.applyRetention(now);
    } catch (error) {
      console.error("snapshot retention failed", { docId: this.docKey(), error });
    }
    await this.scheduleRetention(now);
  }

  private async scheduleRetention(now: number): Promise<void> {
    try {
      const next = nextExpiry(this.index.list(), now, this.config.keepLatest, this.config.keepDays);
      // Something expired now only if this run could not let it go: try again after the retry delay.
      if (next !== null) await this.request(next <= now ? now + this.config.retryMs : next);
    } catch (error) {
      console.error("could not schedule snapshot retention", { docId: this.docKey(), error });
    }
  }

  /**
   * Forgets expired snapshots, table first: a failed R2 delete then leaves only an unlisted
   * object, which the sweep below removes on a later run, as it does objects of failed runs.
   */
  private async applyRetention(now: number): Promise<void> {
    const expired = expiredSnapshots(this.index.list(), now, this.config.keepLatest, this.config.keepDays);
    if (expired.length > 0) {
      this.index.remove(expired.map((s) => s.seq));
      await this.archive.delete(expired.map((s) => s.key));
    }
    const newest = this.index.newest();
    if (!newest) return;
    const listed = new Set(this.index.list().map((s) => s.key));
    const orphans = (await this.archive.list(snapshotPrefix(this.docKey()))).filter((key) => {
      const seq = seqOfKey(key);
      return !listed.has(key) && seq !== null && seq < newest.seq;
    });
    if (orphans.length > 0) await this.archive.delete(orphans);
  }

  private tailStats(): Tail {
    if (!this.tail) {
      const newest = this.index.newest();
      const { updates, bytes } = this.log.stats(newest?.seq ?? 0);
      // A larger document is compacted less often, so compaction's cost per update (an encode of
      // the whole document) stays flat as it grows, and a cold load at most doubles its bytes.
      this.tail = { entries: updates, bytes, scale: Math.max(1, (newest?.size ?? 0) / this.config.maxBytes) };
    }
    return this.tail;
  }

  private overThreshold(): boolean {
    const { entries, bytes, scale } = this.tailStats();
    return entries >= this.config.maxUpdates * scale || bytes >= this.config.maxBytes * scale;
  }

  private request(at: number): Promise<void> {
    return this.alarms.requestBy(at).catch((error) => console.error("could not set the compaction alarm", { docId: this.docKey(), error }));
  }
}
