// V8's own account of each garbage collection in the Worker's isolate (`--trace-gc`, passed to
// workerd through miniflare's MINIFLARE_WORKERD_V8_FLAGS, a diagnostic flag only this benchmark
// sets): the kind of each pause, what triggered it and how much it freed. The sampling profiler
// shows when the isolate stopped; this shows why. workerd prints one line per collection, which
// test/helpers/wranglerDev.ts appends to QUIRE_DEV_LOG. The lines reach the file late (workerd's
// stdout is a buffered pipe), so events are placed on the wall clock by their own timestamps (ms
// since the isolate started), anchored by one forced collection at a known moment.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface GcEvent {
  isolate: string;
  /** Milliseconds since the isolate started, when the collection ended. */
  atMs: number;
  kind: "Scavenge" | "Mark-Compact" | "Minor Mark-Sweep";
  /** Heap used before and after, MiB. */
  beforeMiB: number;
  afterMiB: number;
  pauseMs: number;
  reason: string;
}

export interface GcSummary {
  scavenges: number;
  longestScavengeMs: number;
  fullGcs: number;
  longestFullGcMs: number;
  /** MiB each full collection freed, on average. */
  freedPerFullGcMiB: number;
  /** Heap after full collections: what was live. */
  liveAfterFullGcMiB: number;
}

const LINE = /\[\d+:(0x[0-9a-f]+)\]\s+(\d+) ms: (Scavenge|Mark-Compact|Minor Mark-Sweep)(?: \(reduce\))? ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, .*?([\d.]+) \/ [\d.]+ ms \(.*?\) (.*?)(?:;|$)/;
/** What the inspector's forced collection (HeapProfiler.collectGarbage) is called in the trace. */
const FORCED = "low memory notification";

export interface GcTrace {
  /** Call around the first forced collection of the Worker's isolate: it ties the trace to the wall clock. */
  anchor(startedWallMs: number, endedWallMs: number): void;
  /** The Worker isolate's collections between two wall-clock moments (Date.now()), forced ones left out. */
  between(fromWallMs: number, toWallMs: number): GcEvent[];
}

/** Turns the trace on for servers started after this call; must run before the server starts. */
export function traceGc(): GcTrace {
  process.env.MINIFLARE_WORKERD_V8_FLAGS = [process.env.MINIFLARE_WORKERD_V8_FLAGS, "--trace-gc"].filter(Boolean).join(" ");
  process.env.QUIRE_DEV_LOG ??= join(mkdtempSync(join(tmpdir(), "quire-stalls-")), "wrangler.log");
  const file = process.env.QUIRE_DEV_LOG;
  let anchorWallMs: number | null = null;
  const events = (): GcEvent[] =>
    (existsSync(file) ? readFileSync(file, "utf8").split("\n") : []).flatMap((line) => {
      const m = LINE.exec(line);
      if (!m) return [];
      return [{ isolate: m[1], atMs: Number(m[2]), kind: m[3] as GcEvent["kind"], beforeMiB: Number(m[4]), afterMiB: Number(m[5]), pauseMs: Number(m[6]), reason: m[7].trim() }];
    });
  return {
    anchor: (started, ended) => (anchorWallMs = (started + ended) / 2),
    between: (from, to) => {
      const all = events();
      const forced = all.find((e) => e.reason === FORCED);
      if (anchorWallMs === null || !forced) return [];
      const offset = anchorWallMs - forced.atMs;
      return all.filter((e) => e.isolate === forced.isolate && e.reason !== FORCED && e.atMs + offset >= from && e.atMs + offset <= to);
    },
  };
}

export function summarize(events: GcEvent[]): GcSummary {
  const scavenges = events.filter((e) => e.kind !== "Mark-Compact");
  const full = events.filter((e) => e.kind === "Mark-Compact");
  const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);
  return {
    scavenges: scavenges.length,
    longestScavengeMs: Math.max(0, ...scavenges.map((e) => e.pauseMs)),
    fullGcs: full.length,
    longestFullGcMs: Math.max(0, ...full.map((e) => e.pauseMs)),
    freedPerFullGcMiB: mean(full.map((e) => e.beforeMiB - e.afterMiB)),
    liveAfterFullGcMiB: mean(full.map((e) => e.afterMiB)),
  };
}
