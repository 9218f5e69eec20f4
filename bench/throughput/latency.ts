// Latency percentiles that account for deliveries that never came.

/** Percentiles of send-to-receipt latency, ms; null where the rank falls among undelivered messages. */
export interface LatencySummary {
  p50: number | null;
  p99: number | null;
  max: number | null;
  delivered: number;
  expected: number;
}

/**
 * Summarizes `latencies` out of `expected` deliveries. A delivery that never came counts as slower
 * than every one that did, so a p99 exists only if at least 99% arrived: a server that drops or
 * lags cannot look fast by losing its slowest messages.
 */
export function summarize(latencies: ArrayLike<number>, expected: number): LatencySummary {
  const sorted = Float64Array.from(latencies).sort();
  const total = Math.max(expected, sorted.length);
  const at = (p: number) => {
    if (total === 0) return null;
    const rank = Math.min(total - 1, Math.max(0, Math.ceil((p / 100) * total) - 1));
    return rank < sorted.length ? sorted[rank] : null;
  };
  return {
    p50: at(50),
    p99: at(99),
    max: sorted.length === total && total > 0 ? sorted[sorted.length - 1] : null,
    delivered: sorted.length,
    expected,
  };
}
