// Local updates on their way to the server. While one update frame waits for its acknowledgement,
// later updates are merged into the next frame, so a fast typist or a paste costs the server one
// commit per round trip instead of one per keystroke. The saved state stays exact: every frame is
// followed by an ack request that covers it.
import * as Y from "yjs";

export interface OutboxHost {
  /** Sends one update as update frames (split above the message size limit). */
  sendUpdate(update: Uint8Array): void;
  /** Sends an ack request covering everything sent so far; its seq, or null when none went out. */
  requestAck(): number | null;
}

export class UpdateOutbox {
  private unsent: Uint8Array[] = [];
  /** The ack request that follows the last frame sent, while it is unanswered. */
  private awaiting: number | null = null;
  private scheduled = false;

  constructor(private readonly host: OutboxHost) {}

  /** Whether local updates wait for the previous frame's acknowledgement. */
  get holding(): boolean {
    return this.unsent.length > 0;
  }

  /** A local update made while connected: it leaves with the next frame. */
  push(update: Uint8Array): void {
    this.unsent.push(update);
    if (this.scheduled || this.awaiting !== null) return;
    // The updates of one task (a paste can make several) go out together.
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** An acknowledgement arrived; once it covers the last frame, the next one goes out. */
  acked(seq: number): void {
    if (this.awaiting === null || seq < this.awaiting) return;
    this.awaiting = null;
    this.flush();
  }

  /** The sync step 2 reply carried every local change; `seq` is the ack request that followed it. */
  coveredBySync(seq: number | null): void {
    this.unsent = [];
    this.awaiting = seq;
  }

  /** The connection ended: the next connection's sync exchange sends whatever the server lacks. */
  reset(): void {
    this.unsent = [];
    this.awaiting = null;
  }

  private flush(): void {
    if (this.awaiting !== null || this.unsent.length === 0) return;
    const update = this.unsent.length === 1 ? this.unsent[0] : Y.mergeUpdates(this.unsent);
    this.unsent = [];
    this.host.sendUpdate(update);
    this.awaiting = this.host.requestAck();
  }
}
