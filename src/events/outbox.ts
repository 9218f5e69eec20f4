// A document's change events on their way out. Each is written to the document's SQLite outbox
// when it happens (in the transaction of the change itself where there is one) and sent to the
// EVENTS queue by the document's alarm, like the index sync: editing never waits on the queue, a
// queue outage only delays events, and nothing here asks for an alarm unless an event is waiting.
//
// `document.updated` is throttled per document: the first edit after a quiet spell is announced at
// once, and the edits after it are folded into one event at most every EVENTS_DEBOUNCE_SECONDS,
// carrying the figures as of sending. A burst lasting T seconds gives at most ceil(T / debounce) + 1.
import { CachedMetaValue, type DocumentMeta } from "../storage/documentMeta";
import { type EventFigures, type EventMessage, type EventType, type QuireEvent, sendEvents } from "./eventTypes";

/** Least time between two `document.updated` events of a document, unless EVENTS_DEBOUNCE_SECONDS says otherwise. */
export const DEFAULT_DEBOUNCE_MS = 5_000;
/** Wait before sending again after the queue refused a batch. */
export const EVENTS_RETRY_DELAY_MS = 30_000;
/** Events sent per alarm run; more ask for another run at once. */
const ROWS_PER_RUN = 500;

export interface EventsVars {
  EVENTS_DEBOUNCE_SECONDS?: string | number;
}

/** The debounce in milliseconds; a missing, non-numeric or negative value gives the default. */
export function readDebounceMs(vars: EventsVars): number {
  const value = vars.EVENTS_DEBOUNCE_SECONDS;
  const seconds = typeof value === "number" ? value : value === undefined || value === "" ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : DEFAULT_DEBOUNCE_MS;
}

/** Persisted in document_meta, so a pending `document.updated` survives hibernation. */
interface ThrottleState {
  /** When the pending `document.updated` goes into the outbox; null when none is pending. */
  dueAt: number | null;
  /** When the last one did. */
  lastAt: number | null;
}

const THROTTLE_KEY = "events_updated";

interface OutboxRow extends Record<string, SqlStorageValue> {
  position: number;
  id: string;
  type: string;
  occurred_at: number;
  snapshot_id: string | null;
  figures: string | null;
}

export interface OutboxHost {
  sql: SqlStorage;
  meta: DocumentMeta;
  alarms: { requestBy(at: number): Promise<void> };
  /** The EVENTS queue; without one (a deployment that has not bound it) no event is recorded. */
  queue: Queue<EventMessage> | undefined;
  /** False once the document's storage is deleted: nothing may be written for it any more. */
  live(): boolean;
  docId(): string | null;
  /** The user id of the last edit, for snapshot events. */
  lastEditor(): string | null;
  /** The document's figures now and the time of its last edit, for events that report them as of sending. */
  current(): Promise<{ figures: EventFigures; updatedAt: number } | null>;
}

export class EventOutbox {
  /** The throttle state, cached so an edit costs no read once an event is pending. */
  private readonly throttle: CachedMetaValue<ThrottleState>;

  constructor(
    private readonly host: OutboxHost,
    readonly debounceMs = DEFAULT_DEBOUNCE_MS,
  ) {
    this.throttle = new CachedMetaValue(host.meta, THROTTLE_KEY, () => ({ dueAt: null, lastAt: null }));
  }

  /** Sends events to the queue; replaced in tests to count what goes out. */
  send(events: QuireEvent[]): Promise<void> {
    return sendEvents(this.host.queue!, events);
  }

  private get enabled(): boolean {
    return this.host.queue !== undefined && this.host.live();
  }

  /**
   * Called after every stored update, before its relay: at most one small write per debounce
   * period, none while an event is already pending. Never throws.
   */
  noteEdit(now = Date.now()): void {
    if (!this.enabled) return;
    try {
      const state = this.throttle.get();
      if (state.dueAt !== null) return;
      const dueAt = Math.max(now, (state.lastAt ?? -Infinity) + this.debounceMs);
      this.throttle.set({ ...state, dueAt });
      this.requestAlarm(dueAt);
    } catch (error) {
      console.error("events: could not note an edit", error);
    }
  }

  /** The document was created (its creation time recorded) at `at`. */
  noteCreated(at: number): void {
    this.record("document.created", at, null, null);
  }

  /** A snapshot was recorded; called inside the transaction that records it. */
  noteSnapshot(snapshot: { seq: number; createdAt: number; size: number; v1Size: number | null }): void {
    const figures: EventFigures = { seq: snapshot.seq, sizeBytes: snapshot.v1Size ?? snapshot.size, lastEditor: this.host.lastEditor() };
    this.record("snapshot.created", snapshot.createdAt, String(snapshot.seq), figures);
  }

  /** The content was restored from snapshot `snapshotId`. */
  noteRestored(snapshotId: string, at = Date.now()): void {
    this.record("snapshot.restored", at, snapshotId, null);
  }

  /** Writes one event to the outbox and asks for the alarm at once. Never throws. */
  private record(type: EventType, occurredAt: number, snapshotId: string | null, figures: EventFigures | null): void {
    if (!this.enabled) return;
    try {
      this.insert(type, occurredAt, snapshotId, figures);
      this.requestAlarm(Date.now());
    } catch (error) {
      console.error(`events: could not record ${type}`, error);
    }
  }

  private insert(type: EventType, occurredAt: number, snapshotId: string | null, figures: EventFigures | null): void {
    this.host.sql.exec(
      `INSERT INTO event_outbox (id, type, occurred_at, snapshot_id, figures) VALUES (?, ?, ?, ?, ?)`,
      crypto.randomUUID(), type, occurredAt, snapshotId, figures && JSON.stringify(figures),
    );
  }

  /**
   * The alarm's part: moves a due `document.updated` into the outbox and sends what the outbox
   * holds. A failed send keeps the events and tries again later. Never throws.
   */
  async runIfDue(now = Date.now()): Promise<void> {
    if (!this.enabled) return;
    try {
      const state = this.throttle.get();
      if (state.dueAt !== null && now < state.dueAt) await this.host.alarms.requestBy(state.dueAt);
      else if (state.dueAt !== null) {
        // An earlier update event the queue has not taken yet is replaced, not queued behind:
        // the new one reports everything it did.
        this.host.sql.exec(`DELETE FROM event_outbox WHERE type = 'document.updated'`);
        this.insert("document.updated", now, null, null);
        this.throttle.set({ dueAt: null, lastAt: now });
      }
      await this.flush();
    } catch (error) {
      console.error("events: sending failed; retrying later", error);
      this.requestAlarm(Date.now() + EVENTS_RETRY_DELAY_MS);
    }
  }

  /** Sends the oldest events in the outbox and deletes them once the queue has them. */
  private async flush(): Promise<void> {
    const rows = this.host.sql.exec<OutboxRow>(`SELECT position, id, type, occurred_at, snapshot_id, figures FROM event_outbox ORDER BY position LIMIT ?`, ROWS_PER_RUN).toArray();
    const docId = this.host.docId();
    if (rows.length === 0 || docId === null) return;
    const current = rows.some((row) => row.figures === null) ? await this.host.current() : null;
    await this.send(rows.map((row) => toEvent(row, docId, current)));
    if (!this.host.live()) return; // deleted while sending: there is no outbox any more
    // Rows written while sending have higher positions (an update event replaced meanwhile too).
    this.host.sql.exec(`DELETE FROM event_outbox WHERE position <= ?`, rows.at(-1)!.position);
    if (rows.length === ROWS_PER_RUN) this.requestAlarm(Date.now());
  }

  /** Events written but not sent yet, oldest first (admin and tests). */
  waiting(): Array<{ id: string; type: string }> {
    return this.host.sql.exec<OutboxRow>(`SELECT id, type FROM event_outbox ORDER BY position`).toArray().map(({ id, type }) => ({ id, type }));
  }

  /** Whether a `document.updated` is pending, and when it is due. */
  pendingUpdateAt(): number | null {
    return this.host.live() ? this.throttle.get().dueAt : null;
  }

  /** Forgets the cached state after the storage under it was deleted. */
  forget(): void {
    this.throttle.forget();
  }

  private requestAlarm(at: number): void {
    // Not awaited on the edit path; a failure is logged and the next event asks again.
    this.host.alarms.requestBy(at).catch((error) => console.error("events: could not set the alarm", error));
  }
}

/** An outbox row as the event it stands for; rows without figures take the document's current ones. */
function toEvent(row: OutboxRow, docId: string, current: { figures: EventFigures; updatedAt: number } | null): QuireEvent {
  const figures = row.figures === null ? current?.figures : (JSON.parse(row.figures) as EventFigures);
  const occurredAt = row.type === "document.updated" && current ? current.updatedAt : row.occurred_at;
  return {
    id: row.id,
    type: row.type as EventType,
    docId,
    occurredAt: new Date(occurredAt).toISOString(),
    ...(row.snapshot_id === null ? {} : { snapshotId: row.snapshot_id }),
    ...figures,
  };
}
