// Bookkeeping for the "saved" state: which local changes the server has durably stored, as told by
// the ack extension. Counts changes instead of keeping them: after a reconnect the sync exchange
// resends whatever the server lacks.

/** saved: every local change is durable; saving: some are on their way; unsaved: some wait for a (writable) connection. */
export type SaveState = "saved" | "saving" | "unsaved";

interface Waiter {
  version: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Local changes are numbered 1, 2, 3... A change is covered by a connection once it was sent on it:
 * either as an update frame, or inside the sync step 2 reply, which carries everything the server
 * lacked. An ack request records the latest covered change; its ack makes that change and every
 * earlier one saved.
 */
export class SaveTracker {
  private version = 0;
  private savedVersion = 0;
  private requestedVersion = 0;
  private covering = false;
  private denied = false;
  private nextSeq = 1;
  private readonly requests = new Map<number, number>();
  private waiters: Waiter[] = [];
  /** Why unsaved changes can no longer be saved (a permanent close, destroy), until reopen(). */
  private failure: Error | null = null;

  constructor(private readonly onChange: () => void = () => {}) {}

  get hasUnsavedChanges(): boolean {
    return this.version > this.savedVersion;
  }

  /** Records one local change. */
  change(): void {
    this.version++;
    this.onChange();
  }

  /** A new connection: nothing on it is covered until its sync step 2 goes out. */
  connectionOpened(): void {
    this.requests.clear();
    this.nextSeq = 1;
    this.covering = false;
    this.denied = false;
    this.requestedVersion = this.savedVersion;
  }

  /** The sync step 2 reply went out: the connection now carries every change made so far. */
  coverAll(): void {
    this.covering = true;
  }

  /** The server refused our updates on this connection (read-only access): its acks save nothing. */
  deny(): void {
    this.denied = true;
  }

  /** The sequence number of an ack request to send now, or null when no new change needs one. */
  nextRequest(): number | null {
    if (!this.covering || this.denied || this.version <= this.requestedVersion) return null;
    const seq = this.nextSeq++;
    this.requests.set(seq, this.version);
    this.requestedVersion = this.version;
    return seq;
  }

  /** An ack for `seq` arrived. Unknown sequence numbers (from a past connection) are ignored. */
  acked(seq: number): void {
    const version = this.requests.get(seq);
    if (version === undefined) return;
    for (const pending of [...this.requests.keys()]) if (pending <= seq) this.requests.delete(pending);
    if (this.denied || version <= this.savedVersion) return;
    this.savedVersion = version;
    this.settle();
    this.onChange();
  }

  /** The connection is gone: requests in flight will never be answered. */
  connectionLost(): void {
    this.requests.clear();
    this.covering = false;
    this.requestedVersion = this.savedVersion;
    this.onChange();
  }

  /**
   * Resolves once every change made before this call is saved. Rejects with the failure's error if
   * they cannot be: at once after fail(), or when fail() comes while it waits.
   */
  whenSaved(): Promise<void> {
    if (!this.hasUnsavedChanges) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ version: this.version, resolve, reject }));
  }

  /** Changes can no longer be saved through this provider: rejects every pending and later whenSaved() until reopen(). */
  fail(error: Error): void {
    this.failure = error;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  /** Saving is possible again (connect() after a permanent close): whenSaved() waits again. */
  reopen(): void {
    this.failure = null;
  }

  state(connected: boolean): SaveState {
    if (!this.hasUnsavedChanges) return "saved";
    return connected && !this.denied ? "saving" : "unsaved";
  }

  private settle(): void {
    const due = this.waiters.filter((waiter) => waiter.version <= this.savedVersion);
    this.waiters = this.waiters.filter((waiter) => waiter.version > this.savedVersion);
    for (const waiter of due) waiter.resolve();
  }
}
