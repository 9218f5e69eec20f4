// Group commit: the updates that arrive while a commit is in flight are buffered in memory and
// written together, in one turn and so in one SQLite commit, once that commit is durable. A lone
// update on an idle document is written at once, so latency never gets worse; under load the
// number of commits (and of relay frames) grows with round trips, not with updates.
//
// Nothing derived from buffered state leaves the object before the batch is written: relays, acks
// and sync replies wait in the batch's outbox and are sent after the write, where the platform's
// output gate holds them until the commit is durable. The next batch is written when the storage
// reports the previous one durable; the only timers are the 0 ms passes below, which end with the
// batch, so the object can still hibernate.
//
// Where a commit blocks the event loop (locally, SQLite's fsync runs on it), only a message or two
// arrive during one, so a batch that is still growing when the commit completes collects a little
// longer: each further pass through the event loop (a 0 ms timer) lets queued messages in. It is
// written as soon as a pass brings nothing new, or once it is MAX_COLLECT_MS old or full. A timer
// rather than another `storage.sync()` per pass: a sync per message cost about a fifth of the CPU
// of a streamed B4 update.
import * as Y from "yjs";
import type { Connection } from "./connection";

/** What one batch stores: its updates merged into one, with who wrote them. */
export interface BatchRecord {
  update: Uint8Array;
  /** Client updates merged into `update`. */
  updates: number;
  /** The one user who wrote every update of the batch, or null for several. */
  userId: string | null;
}

/** Where batches go. `write` runs synchronously inside one turn; `synced` tells when it is durable. */
export interface BatchSink {
  /** Writes the batch (the commit follows the turn); throws if it cannot be written. */
  write(batch: BatchRecord): void;
  /** Resolves once every write so far is durable. */
  synced(): Promise<void>;
  /** The batch's changes, merged, go to every connection but `except`. */
  relay(update: Uint8Array, except: Connection | null): void;
  /** Writing failed: memory holds changes storage does not. The batch's connections are given. */
  failed(error: unknown, affected: Set<Connection>): void;
}

/** The longest a batch keeps collecting while more keeps arriving: bounds the latency it adds. */
export const MAX_COLLECT_MS = 10;
/** A batch this large is written without collecting more. */
export const MAX_BATCH_UPDATES = 2_000;
export const MAX_BATCH_BYTES = 1024 * 1024;
/** Updates merged per call: Y.mergeUpdates slows down beyond a few hundred inputs, so larger sets merge in rounds. */
const MERGE_FAN_IN = 128;

/** A send that reveals document state: it waits for the updates buffered before it. */
interface Deferred {
  connection: Connection | null;
  send: () => void;
}

interface Settler {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

class Batch {
  /** Updates to store, in arrival order. */
  readonly stored: Uint8Array[] = [];
  storedBytes = 0;
  /** What the updates changed in the document, in order: relayed once the batch is written. */
  readonly changes: Uint8Array[] = [];
  /** Every update stored only what it changed (the usual case): one merge serves the row and the relay. */
  storesChanges = true;
  readonly origins = new Set<Connection | null>();
  readonly userIds = new Set<string>();
  readonly outbox: Deferred[] = [];
  readonly written = settler();
  /** When the first update arrived (Date.now() advances between events, not within one). */
  readonly startedAt = Date.now();
  /** Updates and deferred sends added; and that count at the last pass through the event loop. */
  activity = 0;
  activityAtLastPass = 0;

  /** Whether to let one more pass through the event loop add to it before writing it. */
  keepsCollecting(): boolean {
    const growing = this.activity > this.activityAtLastPass;
    this.activityAtLastPass = this.activity;
    const full = this.stored.length >= MAX_BATCH_UPDATES || this.storedBytes >= MAX_BATCH_BYTES;
    return growing && !full && Date.now() - this.startedAt < MAX_COLLECT_MS;
  }
}

export class GroupCommit {
  private batch: Batch | null = null;
  /** A written batch whose commit is not yet known to be durable. */
  private committing = false;
  /** Batches and client updates written since the object started (for tests and benchmarks). */
  readonly totals = { batches: 0, updates: 0 };
  /** Which commit watch is current: writeNow starts a new one, and older ones then do nothing. */
  private watch = 0;

  constructor(private readonly sink: BatchSink) {}

  /** Whether updates wait in memory for their write. */
  get hasBuffered(): boolean {
    return this.batch !== null;
  }

  /**
   * Adds an accepted update. `stored` is what to write (null if nothing: a duplicate), `change`
   * what it changed in the document (null if nothing), `origin` the connection to leave out of
   * the relay. Writes at once when no commit is in flight.
   */
  add(stored: Uint8Array | null, change: Uint8Array | null, origin: Connection | null, userId: string): void {
    if (!stored && !change) return;
    const batch = (this.batch ??= new Batch());
    if (stored) {
      batch.stored.push(stored);
      batch.storedBytes += stored.byteLength;
    }
    if (change) batch.changes.push(change);
    if (stored !== change) batch.storesChanges = false;
    batch.origins.add(origin);
    batch.userIds.add(userId);
    batch.activity++;
    if (!this.committing) this.flush();
  }

  /** Runs `send` after the updates buffered so far are written, or now if none are. */
  afterBuffered(connection: Connection | null, send: () => void): void {
    if (!this.batch) return send();
    this.batch.outbox.push({ connection, send });
    this.batch.activity++;
  }

  /** Resolves once everything buffered before the call is written (its commit then holds replies). */
  written(): Promise<void> {
    return this.batch ? this.batch.written.promise : Promise.resolve();
  }

  /** Writes what is buffered now, even with a commit in flight (its own commit follows). */
  writeNow(): void {
    this.flush();
  }

  /** Resolves at a moment when nothing is buffered, so memory equals what is written. */
  async settled(): Promise<void> {
    while (this.batch) await this.batch.written.promise;
  }

  /** Writes the buffered batch in this turn, sends what waited for it, and watches its commit. */
  private flush(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = null;
    const changes = batch.changes.length > 0 ? mergeAll(batch.changes) : null;
    try {
      if (batch.stored.length > 0) {
        this.sink.write({
          update: batch.storesChanges && changes ? changes : mergeAll(batch.stored),
          updates: batch.stored.length,
          userId: batch.userIds.size === 1 ? [...batch.userIds][0] : null,
        });
        this.totals.batches++;
        this.totals.updates += batch.stored.length;
      }
    } catch (error) {
      const affected = new Set<Connection>();
      for (const origin of batch.origins) if (origin) affected.add(origin);
      for (const { connection } of batch.outbox) if (connection) affected.add(connection);
      batch.written.reject(error);
      this.sink.failed(error, affected);
      return;
    }
    if (changes) {
      // A batch from one sender is not echoed to it; with several senders, each also gets its own
      // changes back (Yjs ignores what it has) instead of one merge per sender.
      const except = batch.origins.size === 1 ? [...batch.origins][0] : null;
      this.sink.relay(changes, except);
    }
    for (const deferred of batch.outbox) {
      try {
        deferred.send();
      } catch (error) {
        console.error("group commit: a deferred send failed", error);
      }
    }
    batch.written.resolve();
    this.watchCommit();
  }

  /** Waits for the commit in flight; then writes what arrived meanwhile, or lets it collect a little more. */
  private watchCommit(): void {
    this.committing = true;
    const watch = ++this.watch;
    this.sink.synced().then(
      () => this.collectOrFlush(watch),
      (error) => {
        // The runtime resets the object after a failed commit; nothing more can be written here.
        console.error("group commit: a commit failed", error);
        if (watch === this.watch) this.committing = false;
      },
    );
  }

  /** Once the commit in flight is durable: one more pass for a growing batch, else write it. */
  private collectOrFlush(watch: number): void {
    if (watch !== this.watch) return;
    if (this.batch?.keepsCollecting()) {
      setTimeout(() => this.collectOrFlush(watch), 0);
      return;
    }
    this.committing = false;
    this.flush();
  }
}

function settler(): Settler {
  const settle = {} as Settler;
  settle.promise = new Promise<void>((resolve, reject) => Object.assign(settle, { resolve, reject }));
  // Nobody may be waiting; a failed write is reported through the sink.
  settle.promise.catch(() => {});
  return settle;
}

/** Merges updates into one, in rounds of at most MERGE_FAN_IN. */
export function mergeAll(updates: Uint8Array[]): Uint8Array {
  if (updates.length === 1) return updates[0];
  if (updates.length <= MERGE_FAN_IN) return Y.mergeUpdates(updates);
  const merged: Uint8Array[] = [];
  for (let i = 0; i < updates.length; i += MERGE_FAN_IN) merged.push(Y.mergeUpdates(updates.slice(i, i + MERGE_FAN_IN)));
  return mergeAll(merged);
}
