// The targets ("Durable at in-memory speed"): Quire's figures against a peer's, as ratios,
// with the floor a release must meet and the aim. Beside them, for reference and with no target,
// the same latency ratios against y-partyserver (a peer on the same runtime) and against the bare
// workerd relay (the same runtime doing nothing but the sends), so what the runtime costs shows apart
// from what Quire's durable write costs.
import type { LatencySummary } from "./latency.ts";
import type { RunRecord } from "./record.ts";
import { fmt, int, median, medianOrNull, ms, type Table } from "./report.ts";
import type { RoundResult } from "./round.ts";

interface Goal {
  figure: string;
  /** The peer compared against, by key; none for an absolute figure. */
  peer?: string;
  higherIsBetter: boolean;
  /** Absent for a comparison shown for reference only. */
  floor?: number;
  aim?: number;
  /** "x" for ratios to the peer, else the unit of an absolute figure. */
  unit: "x" | "µs";
  value(run: RunRecord, key: string): number | null;
  format(value: number): string;
}

const QUIRES = ["quire-direct", "quire-proxy"];
/** The servers on Quire's runtime, compared in reference rows with no target. */
const SAME_RUNTIME = ["y-partyserver", "y-partyserver-hibernating", "workerd-relay"];
const each = <T>(run: RunRecord, pick: (r: RoundResult) => T | undefined) => run.rounds.map(pick).filter((v): v is T => v !== undefined);
/** The median p99; Infinity when runs exist but too many deliveries were lost for a p99. */
const p99 = (all: LatencySummary[]) => (all.length ? (medianOrNull(all.map((e) => e.p99)) ?? Infinity) : null);
const orNull = (n: number) => (Number.isFinite(n) ? n : null);

const replayRate: Pick<Goal, "value" | "format"> = { value: (run, key) => orNull(median(each(run, (r) => r.replay[key]?.updatesPerSecond))), format: (v) => `${int(v)} updates/s` };
const crowdP99: Pick<Goal, "value" | "format"> = { value: (run, key) => p99(each(run, (r) => r.crowd[key]?.observer)), format: (v) => `${ms(v)} ms` };
const fanOut50P99: Pick<Goal, "value" | "format"> = { value: (run, key) => p99(each(run, (r) => r.fanOut[key]?.[50])), format: (v) => `${ms(v)} ms` };

export const GOALS: Goal[] = [
  { figure: "B4 replay updates/s", peer: "hocuspocus-sqlite", higherIsBetter: true, floor: 0.5, aim: 1, unit: "x", ...replayRate },
  { figure: "crowd relay p99", peer: "y-websocket", higherIsBetter: false, floor: 2, aim: 1, unit: "x", ...crowdP99 },
  { figure: "crowd relay p99", peer: "y-websocket-leveldb", higherIsBetter: false, floor: 2, aim: 1, unit: "x", ...crowdP99 },
  { figure: "fan-out p99, 50 readers", peer: "y-websocket", higherIsBetter: false, floor: 1.5, aim: 1, unit: "x", ...fanOut50P99 },
  { figure: "fan-out p99, 50 readers", peer: "y-websocket-leveldb", higherIsBetter: false, floor: 1.5, aim: 1, unit: "x", ...fanOut50P99 },
  ...[
    { figure: "crowd relay p99", ...crowdP99 },
    { figure: "fan-out p99, 50 readers", ...fanOut50P99 },
  ].flatMap((latency) => SAME_RUNTIME.map((peer): Goal => ({ ...latency, peer, higherIsBetter: false, unit: "x" }))),
  {
    figure: "server CPU per update (B4 replay)",
    higherIsBetter: false,
    floor: 200,
    aim: 100,
    unit: "µs",
    value: (run, key) => orNull(median(each(run, (r) => r.replay[key]?.serverCpuMicros))),
    format: (v) => `${fmt(v, 0)} µs`,
  },
];

function verdict(goal: Goal, score: number | null): string {
  if (goal.floor === undefined || goal.aim === undefined) return "reference";
  if (score === null) return "no result";
  const meets = (bound: number) => (goal.higherIsBetter ? score >= bound : score <= bound);
  return meets(goal.aim) ? "meets aim" : meets(goal.floor) ? "meets floor" : "below floor";
}

/** One row per goal and Quire target: the figure, the peer's, the ratio, the floor, the aim. */
export function targetsTable(run: RunRecord): Table {
  const nameOf = (key: string) => run.servers.find((s) => s.key === key)?.name ?? key;
  const quires = QUIRES.filter((key) => run.servers.some((s) => s.key === key));
  const rows = quires.flatMap((quire) =>
    GOALS.flatMap((goal) => {
      const mine = goal.value(run, quire);
      if (mine === null) return [];
      const theirs = goal.peer ? goal.value(run, goal.peer) : null;
      const ratio = goal.peer ? (mine !== null && theirs !== null && Number.isFinite(theirs) && theirs > 0 ? mine / theirs : null) : mine;
      const bound = (b: number | undefined) => (b === undefined ? "-" : goal.unit === "x" ? `${b.toFixed(1)}x` : `${b} µs`);
      const peer = goal.peer ? `${nameOf(goal.peer)}: ${theirs === null ? "-" : goal.format(theirs)}` : "-";
      const shownRatio = goal.unit === "x" && ratio !== null && Number.isFinite(ratio) ? `${ratio < 0.1 ? ratio.toFixed(3) : ratio.toFixed(2)}x` : "-";
      return [[`${goal.figure}: ${nameOf(quire)}`, goal.format(mine), peer, shownRatio, bound(goal.floor), bound(goal.aim), verdict(goal, ratio)]];
    }),
  );
  return {
    id: "targets",
    title: "Targets: Quire against its peers (ratio = Quire / peer)",
    header: ["figure", "Quire", "peer", "ratio", "floor", "aim", "verdict"],
    rows,
    notes: [
      "Updates/s: higher is better, so the ratio must reach the floor; latency and CPU: lower is better, so the ratio (or figure) must stay under it.",
      "A '-' p99 means more than 1% of the deliveries never arrived: no ratio, below floor.",
      "Reference rows have no target: y-partyserver runs on the same runtime as Quire (workerd, Durable Objects) and keeps the document in memory; the bare workerd relay runs there too and only forwards each frame to every other client (no document, no storage), the least any server on this runtime can do.",
    ],
  };
}
