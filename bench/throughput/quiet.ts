// Waiting for a server to finish the work an earlier scenario left it (a lagging server keeps
// relaying after its clients left), so that it does not bill the next measurement.
import type { Target } from "./targets.ts";

const WINDOW_MS = 500;
/** CPU seconds per window below which a server counts as idle: 10% of one core. */
const IDLE_CPU_S = 0.05;
const MAX_WAIT_MS = 120_000;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Resolves with the time waited once `target` used less than 10% of a core over half a second; null if it never did. */
export async function quiet(target: Target): Promise<number | null> {
  const started = performance.now();
  let before = target.cpuSeconds();
  while (performance.now() - started < MAX_WAIT_MS) {
    await sleep(WINDOW_MS);
    const now = target.cpuSeconds();
    if (now - before < IDLE_CPU_S) return performance.now() - started;
    before = now;
  }
  return null;
}
