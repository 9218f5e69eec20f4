// The room's presence: who may set which awareness entries, at what size and rate, and what the
// others hear when a connection joins or leaves. No timers; everything lives in the connections'
// attachments or, for the rate limits, in memory.
import { decodeAwarenessUpdate, encodeAwarenessUpdate } from "../protocol/awareness";
import { CloseCode } from "../protocol/closeCodes";
import { encodeAwareness } from "../protocol/messages";
import type { Connection } from "./connection";
import { CloseConnection } from "./errors";
import { type Limits, RateBucket } from "./limits";
import { mergePresence, PresenceOwners, presenceBytes, presenceRemoval, presenceSnapshot } from "./presence";

export class RoomPresence {
  private readonly owners: PresenceOwners;
  /** Per connection, in memory only: a hibernation (which needs a quiet document) refills them. */
  private readonly buckets = new Map<string, RateBucket>();

  constructor(
    private readonly connections: () => Iterable<Connection>,
    private readonly limits: Limits,
    /** Sends a frame to every connection but `except` (null: to all). */
    private readonly broadcast: (frame: Uint8Array, except: Connection | null) => void,
  ) {
    this.owners = new PresenceOwners(connections);
  }

  /** Everyone's presence as one awareness frame, or null when nobody has any. */
  snapshotFrame(): Uint8Array | null {
    const snapshot = presenceSnapshot(this.connections());
    return snapshot ? encodeAwareness(snapshot) : null;
  }

  /**
   * Applies an awareness update from `connection`: entries for ids another connection owns are
   * dropped, the rest are stored in its attachment and relayed to everyone, the sender included
   * (a stock client alone in a document hears its own renewal every 15 s, which keeps it from
   * dropping the connection as silent after 30 s). Throws CloseConnection past a limit.
   */
  apply(connection: Connection, update: Uint8Array): void {
    this.takeRate(connection);
    const entries = decodeAwarenessUpdate(update);
    const { allowed, takenFrom } = this.owners.filter(connection, entries);
    if (allowed.length === 0) return;
    const presence = mergePresence(connection.presence, allowed);
    const bytes = presenceBytes(presence);
    if (bytes > this.limits.maxPresenceBytes) {
      throw new CloseConnection(CloseCode.presenceTooLarge, `presence of ${bytes} bytes is over the limit of ${this.limits.maxPresenceBytes}`);
    }
    for (const [previous, clientIds] of takenFrom) {
      previous.setPresence(previous.presence.filter((entry) => !clientIds.includes(entry.clientId)));
    }
    const before = connection.presence;
    connection.setPresence(presence);
    this.owners.update(connection, before);
    this.broadcast(encodeAwareness(allowed.length === entries.length ? update : encodeAwarenessUpdate(allowed)), null);
  }

  /** A connection ended: the ids it owned are free, and the others hear they are gone. */
  leave(connection: Connection): void {
    this.owners.release(connection);
    this.buckets.delete(connection.session.id);
    const removal = presenceRemoval(connection.presence);
    if (removal) this.broadcast(encodeAwareness(removal), connection);
  }

  private takeRate(connection: Connection): void {
    let bucket = this.buckets.get(connection.session.id);
    if (!bucket) {
      bucket = new RateBucket(this.limits.maxPresencePerSecond, this.limits.maxPresencePerSecond * 2);
      this.buckets.set(connection.session.id, bucket);
    }
    if (!bucket.take(1)) {
      throw new CloseConnection(CloseCode.presenceRateExceeded, `more than ${this.limits.maxPresencePerSecond} presence messages per second; reconnect later`);
    }
  }
}
