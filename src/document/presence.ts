// Presence bookkeeping over connections, without the y-protocols Awareness class (it keeps a timer).
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

/** Every live presence state across connections, as one awareness update (null when there is none). */
export function presenceSnapshot(connections: Iterable<Connection>): Uint8Array | null {
  const entries: AwarenessEntry[] = [];
  for (const connection of connections) {
    for (const entry of connection.presence) if (!isRemoval(entry)) entries.push(entry);
  }
  return entries.length > 0 ? encodeAwarenessUpdate(entries) : null;
}

/** The awareness update that tells peers a connection's clients are gone (clock + 1, state null). */
export function presenceRemoval(owned: readonly AwarenessEntry[]): Uint8Array | null {
  if (owned.length === 0) return null;
  return encodeAwarenessUpdate(owned.map((entry) => ({ clientId: entry.clientId, clock: entry.clock + 1, state: "null" })));
}
