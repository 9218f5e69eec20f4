// Ghost reaping: a client that vanished without a close frame (a closed laptop lid, a dead network)
// leaves an open socket and a cursor on everyone's screen. The document's alarm closes connections
// nothing was heard from for SILENT_LIMIT_MS (no message, and no heartbeat the runtime answered),
// and removes their presence, waking the object at most once per REAP_INTERVAL while it has
// connections, and never when it has none.

/** The SDK's heartbeat: a ping after this long without a message (client/src/heartbeat.ts). */
export const SDK_HEARTBEAT_MS = 15_000;
/** Twice the heartbeat interval. Stock clients, which never ping, renew their presence every 15 s. */
export const SILENT_LIMIT_MS = 2 * SDK_HEARTBEAT_MS;
/** Default time between reaping runs, so a ghost is gone within SILENT_LIMIT_MS + this (under 2 minutes). */
export const DEFAULT_REAP_INTERVAL_MS = 85_000;

/** A connection's last sign of life, ms since the epoch. */
export interface Heard {
  /** The newest of: the last message, the last heartbeat the runtime answered, the connect. */
  heardAt: number;
}

/** The connections silent for longer than SILENT_LIMIT_MS at `now`. */
export function ghosts<T extends Heard>(connections: readonly T[], now: number): T[] {
  return connections.filter((connection) => now - connection.heardAt > SILENT_LIMIT_MS);
}

/** REAP_INTERVAL_SECONDS from `vars`, or the default. */
export function readReapInterval(value: string | number | undefined): number {
  const seconds = typeof value === "number" ? value : value === undefined || value === "" ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_REAP_INTERVAL_MS;
}
