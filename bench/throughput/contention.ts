// How busy the machine was with work other than this benchmark during a round. The machine is
// shared, so this tells a reader how far to trust the round's figures.
import { loadavg } from "node:os";
import { machineCpu } from "./procfs.ts";
import type { Target } from "./targets.ts";

export interface Contention {
  seconds: number;
  /** CPU used by processes other than the benchmark and its servers, in cores on average. */
  otherCores: number;
  /** Time cores spent idle waiting for I/O (fsync-heavy neighbours slow every durable write), in cores. */
  iowaitCores: number;
  /** The 1-minute load average at the end of the round. */
  loadAverage: number;
}

/** Starts watching; the returned function tells what happened since. */
export function watchContention(targets: Target[]): () => Contention {
  // Targets on one server share their CPU counter (the same function): count each server once.
  const counters = [...new Set(targets.map((t) => t.cpuSeconds))];
  const ownCpu = () => counters.reduce((n, cpu) => n + cpu(), 0) + (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
  const started = performance.now();
  const machineBefore = machineCpu();
  const ownBefore = ownCpu();
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const machine = machineCpu();
    const own = ownCpu() - ownBefore;
    return {
      seconds,
      otherCores: Math.max(0, machine.busy - machineBefore.busy - own) / seconds,
      iowaitCores: (machine.iowait - machineBefore.iowait) / seconds,
      loadAverage: loadavg()[0],
    };
  };
}
