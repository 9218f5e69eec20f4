// Detects dead connections with the text frame "ping", which the server's runtime answers "pong"
// by itself: a heartbeat never wakes a hibernated document.

export interface HeartbeatOptions {
  /** Send a ping after this long without any message from the server. Default 15 000 ms. */
  intervalMs: number;
  /** Declare the connection dead when a ping gets no answer for this long. Default 10 000 ms. */
  timeoutMs: number;
}

export const DEFAULT_HEARTBEAT: HeartbeatOptions = { intervalMs: 15_000, timeoutMs: 10_000 };

export class Heartbeat {
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastReceived = 0;
  private pingSentAt: number | null = null;

  constructor(
    private readonly options: HeartbeatOptions,
    private readonly ping: () => void,
    private readonly dead: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.stop();
    this.lastReceived = this.now();
    this.pingSentAt = null;
    const every = Math.max(10, Math.min(this.options.intervalMs, this.options.timeoutMs) / 2);
    this.timer = setInterval(() => this.tick(), every);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Any message from the server proves the connection alive. */
  received(): void {
    this.lastReceived = this.now();
    this.pingSentAt = null;
  }

  /** Pings at once (the tab became visible, the network came back) unless a ping is already out. */
  probe(): void {
    if (this.timer === null || this.pingSentAt !== null) return;
    this.pingSentAt = this.now();
    this.ping();
  }

  /**
   * Runs on a timer that background tabs throttle, so silence is judged from the ping, not from the
   * last message: a late tick sends a ping instead of declaring the connection dead.
   */
  tick(): void {
    const now = this.now();
    if (this.pingSentAt !== null) {
      if (now - this.pingSentAt >= this.options.timeoutMs) this.dead();
      return;
    }
    if (now - this.lastReceived >= this.options.intervalMs) {
      this.pingSentAt = now;
      this.ping();
    }
  }
}
