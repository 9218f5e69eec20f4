// The isolate's CPU profile over one slice of a replay (V8's sampling profiler through CDP), summed
// by function: where the Worker's own time goes, and how that changes as a document's history grows.
import type { Inspector } from "./inspector.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  /** Sampled wall time, ms. */
  ms: number;
  /** Share of samples in which the isolate ran anything (not idle). */
  busyShare: number;
  /** Self time by function, ms, largest first. */
  self: { fn: string; ms: number }[];
  /** Inclusive time of chosen entry points (functions of Quire's own code path), ms. */
  inclusive: Record<string, number>;
  /** Garbage-collection pauses, ms, longest first: each a run of consecutive samples in the collector. */
  gcPauses: number[];
}

/**
 * Samples further apart than this are not consecutive: the profiler samples only while the isolate
 * runs, so a longer gap is time spent outside it (idle, or in the runtime), not in one pause.
 */
const MAX_SAMPLE_GAP_MS = 2;

/** Starts sampling every `intervalUs`; `stop` returns the summary. */
export async function startProfile(inspector: Inspector, intervalUs = 500): Promise<{ stop(watch: string[]): Promise<ProfileSummary> }> {
  await inspector.call("Profiler.enable");
  await inspector.call("Profiler.setSamplingInterval", { interval: intervalUs });
  await inspector.call("Profiler.start");
  return {
    async stop(watch) {
      const { profile } = await inspector.call<{ profile: Profile }>("Profiler.stop", {}, 120_000);
      await inspector.call("Profiler.disable");
      return summarizeProfile(profile, watch);
    },
  };
}

/** A profile's call frame as "function file:line", the same in CPU and allocation profiles. */
export const frameLabel = ({ functionName, url, lineNumber }: ProfileNode["callFrame"]) =>
  `${functionName || "(anonymous)"} ${url.split("/").slice(-1)[0] || "(native)"}:${lineNumber + 1}`;

function summarizeProfile(profile: Profile, watch: string[]): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfMs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // A sample's time is the gap to the next sample.
    const ms = (deltas[i + 1] ?? 0) / 1000;
    selfMs.set(samples[i], (selfMs.get(samples[i]) ?? 0) + ms);
  }
  const self = new Map<string, number>();
  const inclusive: Record<string, number> = Object.fromEntries(watch.map((w) => [w, 0]));
  let idle = 0;
  let total = 0;
  for (const [id, ms] of selfMs) {
    const node = byId.get(id)!;
    total += ms;
    if (node.callFrame.functionName === "(idle)") {
      idle += ms;
      continue;
    }
    const key = frameLabel(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + ms);
    // Count the sample once for every watched function on its stack.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = byId.get(at)!.callFrame.functionName;
      if (name in inclusive && !seen.has(name)) {
        inclusive[name] += ms;
        seen.add(name);
      }
    }
  }
  return {
    ms: total,
    busyShare: total > 0 ? 1 - idle / total : 0,
    self: [...self].map(([fn, ms]) => ({ fn, ms })).sort((a, b) => b.ms - a.ms).slice(0, 25),
    inclusive,
    gcPauses: gcPauses(samples, deltas, (id) => byId.get(id)!.callFrame.functionName === "(garbage collector)"),
  };
}

function gcPauses(samples: number[], deltas: number[], inCollector: (id: number) => boolean): number[] {
  const pauses: number[] = [];
  let current = 0;
  for (let i = 0; i < samples.length; i++) {
    const ms = (deltas[i + 1] ?? 0) / 1000;
    if (inCollector(samples[i]) && ms <= MAX_SAMPLE_GAP_MS) {
      current += ms;
      continue;
    }
    if (current > 0) pauses.push(current);
    current = 0;
  }
  if (current > 0) pauses.push(current);
  return pauses.sort((a, b) => b - a);
}
