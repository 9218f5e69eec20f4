// Reconnect delays: exponential backoff with full jitter, so a server restart is not met by every
// client at the same instant.

export interface BackoffOptions {
  /** The ceiling of the first delay, in milliseconds. Default 500. */
  initialDelayMs: number;
  /** The largest delay, in milliseconds. Default 30 000. */
  maxDelayMs: number;
  /** A connection that stayed open this long resets the backoff. Default 10 000. */
  stableAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 500, maxDelayMs: 30_000, stableAfterMs: 10_000 };

/** The ceiling for attempt `attempt` (0-based): initial * 2^attempt, capped at the maximum. */
export function backoffCeiling(attempt: number, options: BackoffOptions): number {
  return Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt, 30));
}

/** A delay drawn uniformly from [0, ceiling) ("full jitter"). `random` is injectable for tests. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeiling(attempt, options));
}

/**
 * Counts consecutive failed connections. A connection resets the count only once it has stayed
 * open for `stableAfterMs`: a server that accepts and at once closes must not cause a storm.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** The number of failures since the last stable connection. */
  get failures(): number {
    return this.attempt;
  }

  /** Records a closed connection and returns how long to wait before the next one. */
  next(openForMs: number | null): number {
    if (openForMs !== null && openForMs >= this.options.stableAfterMs) this.attempt = 0;
    return backoffDelay(this.attempt++, this.options, this.random);
  }

  reset(): void {
    this.attempt = 0;
  }
}
