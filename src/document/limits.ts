// Limits that keep one client, broken or malicious, from taking a document down for the others.
// Each comes from a `vars` entry (wrangler.jsonc) with a default no real editor reaches.

export interface Limits {
  /**
   * Largest document, as its Yjs V1 encoding. A Yjs document costs 10 to 19 times its V1 size in
   * memory (text about 10x, maps whose values are overwritten often up to 19x, measured), and
   * every object of an isolate shares 128 MB, so the default keeps a full document loadable and
   * compactable: 5 MiB is about 50 MB of text or 95 MB of a busy map.
   */
  maxDocumentBytes: number;
  /** Largest presence a connection may hold: the JSON of its awareness states, in UTF-8 bytes. */
  maxPresenceBytes: number;
  /** Presence (awareness) messages a connection may send per second, sustained (twice that in a burst). */
  maxPresencePerSecond: number;
  /** Update bytes a user may send to one document per second, sustained; bursts up to 64 times that. */
  maxUpdateBytesPerSecond: number;
  /**
   * New Yjs client ids a user may bring into a document per minute, sustained (bursts of 500).
   * A document keeps every client id forever and each one makes every later transaction slower
   * (10,000 ids: about 2.4 ms per update instead of 0.035 ms, measured), so one writer could
   * otherwise throttle a document with a few large updates. A person makes one id per editor
   * instance (page load, tab); import documents with many ids through the admin API instead.
   */
  maxNewClientIdsPerMinute: number;
  /** Open connections per document. */
  maxConnectionsPerDocument: number;
  /** Open connections per user per document. */
  maxConnectionsPerUser: number;
}

export interface LimitVars {
  MAX_DOCUMENT_BYTES?: string | number;
  MAX_PRESENCE_BYTES?: string | number;
  MAX_PRESENCE_PER_SECOND?: string | number;
  MAX_UPDATE_BYTES_PER_SECOND?: string | number;
  MAX_NEW_CLIENT_IDS_PER_MINUTE?: string | number;
  MAX_CONNECTIONS_PER_DOCUMENT?: string | number;
  MAX_CONNECTIONS_PER_USER?: string | number;
}

/**
 * A socket's attachment holds at most 16 KiB serialized, and it carries the session next to the
 * presence; what is left for presence after a generous allowance for the session and the JSON
 * around each entry.
 */
export const PRESENCE_ATTACHMENT_ROOM = 14 * 1024;

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxDocumentBytes: 5 * 1024 * 1024,
  maxPresenceBytes: 8 * 1024,
  maxPresencePerSecond: 100,
  maxUpdateBytesPerSecond: 1024 * 1024,
  maxNewClientIdsPerMinute: 60,
  maxConnectionsPerDocument: 1000,
  maxConnectionsPerUser: 50,
};

/** Bursts of new client ids a user may bring at once. */
export const NEW_CLIENT_IDS_BURST = 500;

/** Parses the limits; a missing, non-numeric or non-positive value falls back to its default. */
export function readLimits(vars: LimitVars): Limits {
  const num = (value: string | number | undefined, fallback: number) => {
    const parsed = typeof value === "number" ? value : value === undefined || value === "" ? NaN : Number(value);
    return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
  };
  return {
    maxDocumentBytes: num(vars.MAX_DOCUMENT_BYTES, DEFAULT_LIMITS.maxDocumentBytes),
    maxPresenceBytes: Math.min(num(vars.MAX_PRESENCE_BYTES, DEFAULT_LIMITS.maxPresenceBytes), PRESENCE_ATTACHMENT_ROOM),
    maxPresencePerSecond: num(vars.MAX_PRESENCE_PER_SECOND, DEFAULT_LIMITS.maxPresencePerSecond),
    maxUpdateBytesPerSecond: num(vars.MAX_UPDATE_BYTES_PER_SECOND, DEFAULT_LIMITS.maxUpdateBytesPerSecond),
    maxNewClientIdsPerMinute: num(vars.MAX_NEW_CLIENT_IDS_PER_MINUTE, DEFAULT_LIMITS.maxNewClientIdsPerMinute),
    maxConnectionsPerDocument: Math.floor(num(vars.MAX_CONNECTIONS_PER_DOCUMENT, DEFAULT_LIMITS.maxConnectionsPerDocument)),
    maxConnectionsPerUser: Math.floor(num(vars.MAX_CONNECTIONS_PER_USER, DEFAULT_LIMITS.maxConnectionsPerUser)),
  };
}

/**
 * A token bucket: `rate` per second refills up to `burst`. Kept in memory only, so a hibernation
 * (which needs a quiet document) starts every bucket full again.
 */
export class RateBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.updatedAt = now;
  }

  /** Takes `amount`; false (and nothing taken) when the bucket does not hold that much. */
  take(amount: number, now = Date.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.rate);
    this.updatedAt = now;
    if (amount > this.tokens) return false;
    this.tokens -= amount;
    return true;
  }
}
