// V8's own account of each garbage collection in the Worker's isolate (`--trace-gc`, passed to
// workerd through miniflare's MINIFLARE_WORKERD_V8_FLAGS, a diagnostic flag only this benchmark
// sets): the kind of each pause, what triggered it and how much it freed. The sampling profiler
// shows when the isolate stopped; this shows why. workerd prints one line per collection, which
// test/helpers/wranglerDev.ts appends to QUIRE_DEV_LOG.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface GcEvent {
  isolate: string;
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

const LINE = /\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: (Scavenge|Mark-Compact|Minor Mark-Sweep)(?: \(reduce\))? ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, .*?([\d.]+) \/ [\d.]+ ms \(.*?\) (.*?)(?:;|$)/;

/** Turns the trace on for servers started after this call; must run before the server starts. */
export function traceGc(): { mark(): number; since(mark: number): GcEvent[] } {
  process.env.MINIFLARE_WORKERD_V8_FLAGS = [process.env.MINIFLARE_WORKERD_V8_FLAGS, "--trace-gc"].filter(Boolean).join(" ");
  process.env.QUIRE_DEV_LOG ??= join(mkdtempSync(join(tmpdir(), "quire-stalls-")), "wrangler.log");
  const file = process.env.QUIRE_DEV_LOG;
  /** Complete lines so far (a chunk can end mid-line). */
  const lines = () => (existsSync(file) ? readFileSync(file, "utf8").split("\n").slice(0, -1) : []);
  return {
    mark: () => lines().length,
    since: (mark) =>
      lines()
        .slice(mark)
        .flatMap((line) => {
          const m = LINE.exec(line);
          if (!m) return [];
          return [{ isolate: m[1], kind: m[2] as GcEvent["kind"], beforeMiB: Number(m[3]), afterMiB: Number(m[4]), pauseMs: Number(m[5]), reason: m[6].trim() }];
        }),
  };
}

/** The collections of the busiest isolate among `events` (the Worker's, under load), summed up. */
export function summarize(events: GcEvent[]): GcSummary {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.isolate, (counts.get(e.isolate) ?? 0) + 1);
  const busiest = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  // The inspector's forced collections ("low memory notification") are the benchmark's, not the load's.
  const mine = events.filter((e) => e.isolate === busiest && e.reason !== "low memory notification");
  const scavenges = mine.filter((e) => e.kind !== "Mark-Compact");
  const full = mine.filter((e) => e.kind === "Mark-Compact");
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
