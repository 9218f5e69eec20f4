// Reconnect delays: exponential ceilings, full jitter, and a reset only after a stable connection.
import { describe, expect, test } from "vitest";
import { Backoff, backoffCeiling, backoffDelay, DEFAULT_BACKOFF } from "../../client/src/backoff";

const options = { initialDelayMs: 100, maxDelayMs: 5_000, stableAfterMs: 10_000 };

describe("backoff", () => {
  test("the ceiling doubles per attempt and stops at the maximum", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((attempt) => backoffCeiling(attempt, options))).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  test("full jitter draws the whole range from zero up to the ceiling", () => {
    expect(backoffDelay(3, options, () => 0)).toBe(0);
    expect(backoffDelay(3, options, () => 0.5)).toBe(400);
    expect(backoffDelay(3, options, () => 0.999999)).toBe(799);
  });

  test("delays of many clients after the same outage are spread out, not synchronized", () => {
    const delays = Array.from({ length: 1000 }, () => backoffDelay(6, DEFAULT_BACKOFF));
    const buckets = new Array(10).fill(0);
    for (const delay of delays) buckets[Math.floor((delay / backoffCeiling(6, DEFAULT_BACKOFF)) * 10)]++;
    // Uniform over the range: every tenth of it gets a share, none gets most of them.
    for (const count of buckets) expect(count).toBeGreaterThan(40);
    expect(new Set(delays).size).toBeGreaterThan(500);
  });

  test("failed attempts grow the delay; a connection that closes at once does not reset it", () => {
    const backoff = new Backoff(options, () => 0.999999);
    expect(backoff.next(null)).toBe(99);
    expect(backoff.next(null)).toBe(199);
    // Accepted and closed after 50 ms (a server that is restarting): still backing off.
    expect(backoff.next(50)).toBe(399);
    expect(backoff.failures).toBe(3);
  });

  test("a connection that stayed open long enough starts the backoff over", () => {
    const backoff = new Backoff(options, () => 0.999999);
    backoff.next(null);
    backoff.next(null);
    backoff.next(null);
    expect(backoff.next(10_000)).toBe(99);
    expect(backoff.failures).toBe(1);
  });
});
