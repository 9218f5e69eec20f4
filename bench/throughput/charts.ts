// One chart per scenario, from a run's record: the same medians as the tables.
import type { LatencySummary } from "./latency.ts";
import type { RunRecord } from "./record.ts";
import { median, medianOrNull } from "./report.ts";
import type { RoundResult } from "./round.ts";
import type { Chart } from "./svg.ts";

const across = <T>(run: RunRecord, pick: (r: RoundResult) => T | undefined): T[] => run.rounds.map(pick).filter((v): v is T => v !== undefined);
const finite = (n: number) => (Number.isFinite(n) ? n : null);
const pct = (all: LatencySummary[], p: "p50" | "p99") => (all.length ? medianOrNull(all.map((e) => e[p])) : null);

/** A chart with one group per server that has any result for it. */
function perServer(run: RunRecord, chart: Omit<Chart, "groups">, values: (key: string) => (number | null)[]): Chart {
  const groups = run.servers.map((s) => ({ label: s.name, values: values(s.key) })).filter((g) => g.values.some((v) => v !== null));
  return { ...chart, groups };
}

export function buildCharts(run: RunRecord): Chart[] {
  const { config } = run;
  const charts: Chart[] = [
    replayChart(run),
    perServer(run, { id: "fanout", title: `Fan-out: one writer at ${config.fanOutRate} updates/s, p99 send-to-receipt latency`, unit: "ms", series: config.fanOutReaders.map((n) => `p99, ${n} reader${n === 1 ? "" : "s"}`), better: "lower" }, (key) =>
      config.fanOutReaders.map((n) => pct(across(run, (r) => r.fanOut[key]?.[n]), "p99")),
    ),
    perServer(run, { id: "presence", title: `Presence: ${config.presenceClients} clients moving cursors ${config.presenceRate}/s each`, unit: "ms", series: ["p50", "p99"], better: "lower" }, (key) => {
      const all = across(run, (r) => r.presence[key]);
      return [pct(all, "p50"), pct(all, "p99")];
    }),
    perServer(run, { id: "crowd", title: `Crowd: ${config.crowdClients} clients typing, relay latency at one client and convergence`, unit: "ms", series: ["relay p50", "relay p99", "converged after last keystroke"], better: "lower" }, (key) => {
      const all = across(run, (r) => r.crowd[key]);
      return [pct(all.map((e) => e.observer), "p50"), pct(all.map((e) => e.observer), "p99"), all.length ? medianOrNull(all.map((e) => e.convergedMs)) : null];
    }),
    joinChart(run),
    perServer(run, { id: "catchup", title: `Reconnect catch-up: ${run.trace.catchUpMissed.toLocaleString("en-US")} missed updates`, unit: "ms", series: ["median reconnect", "1st reconnect"], better: "lower" }, (key) => {
      const all = across(run, (r) => r.catchUp[key]);
      return [finite(median(all.flatMap((e) => e.reconnects))), finite(median(all.map((e) => e.reconnects[0])))];
    }),
    perServer(run, { id: "memory", title: "Server memory (RSS)", unit: "MiB", series: ["idle at start", "after B4 replay"], better: "lower" }, (key) => {
      const idle = run.servers.find((s) => s.key === key)!.idle.serverBytes;
      return [idle > 0 ? idle / 2 ** 20 : null, finite(median(across(run, (r) => r.replay[key]?.rssAfterBytes)) / 2 ** 20)];
    }),
  ];
  return charts.filter((c) => c.groups.length > 0);
}

function replayChart(run: RunRecord): Chart {
  const title = `B4 replay: ${run.trace.updates.toLocaleString("en-US")} updates through the server`;
  const chart = perServer(run, { id: "replay", title, unit: "updates/s", series: ["updates/s (median)"], better: "higher" }, (key) => [finite(median(across(run, (r) => r.replay[key]?.updatesPerSecond)))]);
  for (const group of chart.groups) {
    const key = run.servers.find((s) => s.name === group.label)!.key;
    const unfinished = across(run, (r) => r.replay[key]).filter((r) => !r.finished).length;
    if (unfinished) group.marks = [`at least: did not finish in ${unfinished} of ${run.rounds.length} rounds`];
  }
  return chart;
}

function joinChart(run: RunRecord): Chart {
  const chart = perServer(run, { id: "join", title: `Join: a new client syncs the B4 final state`, unit: "ms", series: ["median join", "1st join"], better: "lower" }, (key) => [
    finite(median(across(run, (r) => r.joins[key]).flat())),
    finite(median(across(run, (r) => r.joins[key]?.[0]))),
  ]);
  const hibernated = across(run, (r) => r.hibernatedJoin);
  if (hibernated.length) {
    const name = run.servers.find((s) => s.key === hibernated[0].target)?.name ?? hibernated[0].target;
    chart.groups.push({ label: `${name}, hibernated`, values: [median(hibernated.map((h) => h.ms)), null] });
  }
  return chart;
}
