// Keeps a document's row in the D1 index current without a D1 write per keystroke. A change only
// marks the row dirty (a local SQLite write) and asks the object's shared alarm for a time; the alarm
// then writes one row covering every change since. So one document costs at most one D1 write per
// INDEX_SYNC_DELAY_MS however fast it is edited, and a D1 outage only delays the index.
import type { AlarmScheduler } from "../document/alarmScheduler";
import { CachedMetaValue, type DocumentMeta } from "../storage/documentMeta";
import { upsertDocument } from "./documentIndex";
import type { DocumentRecord } from "./documentRecord";

/** Longest a change waits before the index shows it, and the least time between two writes of a row. */
export const INDEX_SYNC_DELAY_MS = 5_000;
/** Wait before trying again after D1 failed. */
export const INDEX_RETRY_DELAY_MS = 30_000;

/** Persisted, so a pending sync survives hibernation and eviction. */
interface SyncState {
  /** When the row must be written next; null while the row is current. */
  dueAt: number | null;
  /** The row has been written at least once. */
  indexed: boolean;
}

const STATE_KEY = "index_sync";

export interface IndexSyncHost {
  meta: DocumentMeta;
  alarms: AlarmScheduler;
  db: D1Database;
  /** False once the document's storage is deleted: nothing may be written for it any more. */
  live(): boolean;
  /** The document's current record; null when there is nothing to index. */
  collect(): Promise<DocumentRecord | null>;
}

export class IndexSync {
  private lock: Promise<unknown> = Promise.resolve();
  private writing = false;
  /** The persisted state, cached so a change costs no read once the row is dirty. */
  private readonly state: CachedMetaValue<SyncState>;

  constructor(
    private readonly host: IndexSyncHost,
    private readonly delayMs = INDEX_SYNC_DELAY_MS,
  ) {
    this.state = new CachedMetaValue(host.meta, STATE_KEY, () => ({ dueAt: null, indexed: false }));
  }

  /**
   * Notes a change the index shows (an edit, a connection opened or closed). Never throws and never
   * waits: it runs right after an update is stored, before the broadcast. A document that has never
   * been indexed is written at once, so new documents appear in listings immediately.
   */
  markDirty(now = Date.now()): void {
    if (!this.host.live()) return;
    try {
      const state = this.state.get();
      if (state.dueAt !== null) return;
      const dueAt = state.indexed || this.writing ? now + this.delayMs : now;
      this.state.set({ ...state, dueAt });
      this.requestAlarm(dueAt);
    } catch (error) {
      console.error("index sync: could not mark the document dirty", error);
    }
  }

  /** The alarm's part: writes the row if it is due, else re-requests the alarm. Never throws. */
  async runIfDue(now = Date.now()): Promise<void> {
    if (!this.host.live()) return;
    try {
      const { dueAt } = this.state.get();
      if (dueAt === null) return;
      if (now < dueAt) return await this.host.alarms.requestBy(dueAt);
      await this.syncNow();
    } catch (error) {
      // syncNow has already rescheduled; throwing would make the platform retry the whole alarm.
      console.error("index sync failed; retrying later", error);
    }
  }

  /**
   * Writes the row now (admin operations want read-after-write). On failure the row stays dirty,
   * the alarm retries later, and the error is rethrown. Returns the record written.
   */
  syncNow(): Promise<DocumentRecord | null> {
    return this.exclusive(async () => {
      if (!this.host.live()) return null;
      // Cleared before collecting, so a change made while the record is gathered or written marks
      // the row dirty again instead of being lost.
      this.state.set({ ...this.state.get(), dueAt: null });
      this.writing = true;
      let record: DocumentRecord | null;
      try {
        record = await this.host.collect();
        if (!record) return null;
        await upsertDocument(this.host.db, record);
      } catch (error) {
        if (!this.host.live()) throw error;
        const state = this.state.get();
        const retryAt = Date.now() + INDEX_RETRY_DELAY_MS;
        this.state.set({ ...state, dueAt: Math.min(state.dueAt ?? retryAt, retryAt) });
        this.requestAlarm(retryAt);
        throw error;
      } finally {
        this.writing = false;
      }
      const state = this.state.get();
      if (!state.indexed) this.state.set({ ...state, indexed: true });
      return record;
    });
  }

  /**
   * Runs `task` when no index write is in flight and holds further ones off until it ends, so a
   * deletion cannot be overtaken by a sync that would re-create the row.
   */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.lock.then(task);
    this.lock = result.catch(() => undefined);
    return result;
  }

  /** Forgets the cached state after the storage under it was deleted. */
  forget(): void {
    this.state.forget();
  }

  private requestAlarm(at: number): void {
    // Not awaited by callers on the edit path; a failure is logged and the next change retries.
    this.host.alarms.requestBy(at).catch((error) => console.error("index sync: could not set the alarm", error));
  }
}
