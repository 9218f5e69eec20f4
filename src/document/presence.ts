// Presence (awareness) over connections, without the y-protocols Awareness class (it keeps a
// timer). Each awareness client id belongs to the connection that announced it first, for as long
// as that connection is open, so no connection can move, replace or remove another's cursor.
// Ownership is rebuilt from the socket attachments after a wake: what a connection holds is what it owns.
import { type AwarenessEntry, encodeAwarenessUpdate, isRemoval } from "../protocol/awareness";
import type { Connection } from "./connection";

/** Merges an incoming awareness update into what a connection owns: newer clocks win, removals drop. */
export function mergePresence(owned: readonly AwarenessEntry[], incoming: readonly AwarenessEntry[]): AwarenessEntry[] {
  const byClient = new Map(owned.map((entry) => [entry.clientId, entry]));
  for (const entry of incoming) {
    const current = byClient.get(entry.clientId);
    if (current && current.clock > entry.clock) continue;
    if (isRemoval(entry)) byClient.delete(entry.clientId);
    else byClient.set(entry.clientId, entry);
  }
  return [...byClient.values()];
}

/**
 * What presence costs in a socket attachment: the platform stores a string one byte per character,
 * or two when it holds a character beyond Latin-1; plus the numbers and framing of each entry.
 */
export function presenceBytes(entries: readonly AwarenessEntry[]): number {
  let bytes = 0;
  for (const { state } of entries) bytes += 32 + (/[^\u0000-\u00ff]/.test(state) ? 2 * state.length : state.length);
  return bytes;
}

/** Every live presence state across connections, as one awareness update (null when there is none). */
export function presenceSnapshot(connections: Iterable<Connection>): Uint8Array | null {
  const entries: AwarenessEntry[] = [];
  for (const connection of connections) {
    for (const entry of connection.presence) if (!isRemoval(entry)) entries.push(entry);
  }
  return entries.length > 0 ? encodeAwarenessUpdate(entries) : null;
}

/** The awareness update that tells peers some clients are gone (clock + 1, state null). */
export function presenceRemoval(owned: readonly AwarenessEntry[]): Uint8Array | null {
  if (owned.length === 0) return null;
  return encodeAwarenessUpdate(owned.map((entry) => ({ clientId: entry.clientId, clock: entry.clock + 1, state: "null" })));
}

/** Which connection owns each awareness client id. */
export class PresenceOwners {
  /** Client id to the owning connection's session id; built from the attachments on first use. */
  private owners: Map<number, string> | null = null;

  constructor(private readonly connections: () => Iterable<Connection>) {}

  /**
   * The entries of an awareness update that `connection` may apply: those for ids it owns or that
   * nobody owns. An id owned by another connection of the same user moves to this one (a client
   * that reconnected before its old socket was noticed gone); that connection is returned to be
   * told to let go of it.
   */
  filter(connection: Connection, entries: readonly AwarenessEntry[]): { allowed: AwarenessEntry[]; takenFrom: Map<Connection, number[]> } {
    const owners = this.ownerMap();
    const allowed: AwarenessEntry[] = [];
    const takenFrom = new Map<Connection, number[]>();
    for (const entry of entries) {
      const owner = owners.get(entry.clientId);
      if (owner === undefined || owner === connection.session.id) {
        allowed.push(entry);
        continue;
      }
      const previous = this.find(owner);
      if (previous && previous.session.userId === connection.session.userId) {
        allowed.push(entry);
        takenFrom.set(previous, [...(takenFrom.get(previous) ?? []), entry.clientId]);
      } else if (!previous) {
        allowed.push(entry); // its owner is gone without a close event reaching us
      }
    }
    return { allowed, takenFrom };
  }

  /** Records a connection's presence once it is stored: it owns exactly the ids it holds. */
  update(connection: Connection, before: readonly AwarenessEntry[]): void {
    const owners = this.ownerMap();
    for (const entry of before) if (owners.get(entry.clientId) === connection.session.id) owners.delete(entry.clientId);
    for (const entry of connection.presence) owners.set(entry.clientId, connection.session.id);
  }

  /** The connection closed: its ids are free again. */
  release(connection: Connection): void {
    const owners = this.ownerMap();
    for (const entry of connection.presence) if (owners.get(entry.clientId) === connection.session.id) owners.delete(entry.clientId);
  }

  private find(sessionId: string): Connection | undefined {
    for (const connection of this.connections()) if (connection.session.id === sessionId) return connection;
    return undefined;
  }

  private ownerMap(): Map<number, string> {
    if (!this.owners) {
      this.owners = new Map();
      for (const connection of this.connections()) {
        for (const entry of connection.presence) if (!this.owners.has(entry.clientId)) this.owners.set(entry.clientId, connection.session.id);
      }
    }
    return this.owners;
  }
}
