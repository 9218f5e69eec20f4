// What the isolate allocates, by function, over a stretch of load (V8's sampling heap profiler
// through CDP): the garbage that makes collection pauses. Counts everything allocated, collected or not.
import { frameLabel } from "./cpuProfile.ts";
import type { Inspector } from "./inspector.ts";

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

export interface AllocationSummary {
  /** Bytes allocated while sampling (an estimate from the samples). */
  bytes: number;
  /** Bytes by the function that was running when they were allocated (native calls count toward their JS caller), largest first. */
  byFunction: { fn: string; bytes: number }[];
}

/** Samples one allocation per `intervalBytes` on average; `stop` returns the summary. */
export async function startAllocationProfile(inspector: Inspector, intervalBytes = 16 * 1024): Promise<{ stop(): Promise<AllocationSummary> }> {
  await inspector.call("HeapProfiler.enable");
  await inspector.call("HeapProfiler.startSampling", { samplingInterval: intervalBytes, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return {
    async stop() {
      const { profile } = await inspector.call<{ profile: { head: SamplingNode } }>("HeapProfiler.stopSampling", {}, 120_000);
      await inspector.call("HeapProfiler.disable");
      const byFunction = new Map<string, number>();
      let bytes = 0;
      const visit = (node: SamplingNode) => {
        const fn = frameLabel(node.callFrame);
        byFunction.set(fn, (byFunction.get(fn) ?? 0) + node.selfSize);
        bytes += node.selfSize;
        for (const child of node.children) visit(child);
      };
      visit(profile.head);
      return { bytes, byFunction: [...byFunction].map(([fn, b]) => ({ fn, bytes: b })).sort((a, b) => b.bytes - a.bytes) };
    },
  };
}
