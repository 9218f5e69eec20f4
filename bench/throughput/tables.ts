// The result tables of a run, built once from its record and printed as text or Markdown.
import { targetsTable } from "./goals.ts";
import type { LatencySummary } from "./latency.ts";
import type { RunRecord } from "./record.ts";
import { fmt, int, median, medianOrNull, mib, ms, type Table, textTable } from "./report.ts";
import type { RoundResult } from "./round.ts";

type Pick<T> = (round: RoundResult) => T | undefined;
const across = <T>(run: RunRecord, pick: Pick<T>): T[] => run.rounds.map(pick).filter((v): v is T => v !== undefined);
const rounds = (run: RunRecord) => `${run.rounds.length} round${run.rounds.length === 1 ? "" : "s"}`;

function serversTable(run: RunRecord): Table {
  const rows = run.servers.map((s) => [s.name, s.durability]);
  const skipped = Object.entries(run.skipped).map(([name, why]) => `Not run: ${name}: ${why}.`);
  return { id: "servers", title: "Servers: what each does with an update before relaying it", header: ["server", "before relaying"], rows, notes: skipped };
}

function replayTable(run: RunRecord): Table {
  const timeout = run.config.b4TimeoutS;
  const rows = run.servers.flatMap((s) => {
    const all = across(run, (r) => r.replay[s.key]);
    if (all.length === 0) return [];
    const unfinished = all.filter((r) => !r.finished);
    const rate = median(all.map((r) => r.updatesPerSecond));
    const wall = unfinished.length ? `> ${timeout} s` : `${fmt(median(all.map((r) => r.ms)) / 1000)} s`;
    const result = unfinished.length
      ? `did not finish within ${timeout} s in ${unfinished.length} of ${all.length} (>= ${int(median(unfinished.map((r) => r.updatesPerSecond)))} updates/s lower bound: ${int(median(unfinished.map((r) => r.received)))} of ${int(all[0].updates)} updates relayed)`
      : "finished";
    return [[s.name, `${unfinished.length ? ">= " : ""}${int(rate)}`, wall, fmt(median(all.map((r) => r.serverCpuMicros)), 0), all.map((r) => int(r.updatesPerSecond)).join(" / "), result]];
  });
  return {
    id: "replay",
    title: `B4 replay: ${int(run.trace.updates)} updates, one per patch, writer -> server -> reader, at most ${run.config.b4Window} in flight (median of ${rounds(run)})`,
    header: ["server", "updates/s", "wall", "server CPU µs/update", "each round (updates/s)", "result"],
    rows,
    notes: [`A replay that does not finish within ${timeout} s is stopped; its updates/s, the updates the reader had by then over ${timeout} s, is a lower bound, and so is a median over rounds that include one (">=").`],
  };
}

const latencyCells = (all: LatencySummary[]) => {
  const delivered = all.reduce((n, e) => n + e.delivered, 0);
  const expected = all.reduce((n, e) => n + e.expected, 0);
  const max = all.some((e) => e.max === null) ? "-" : ms(Math.max(...all.map((e) => e.max!)));
  return [ms(medianOrNull(all.map((e) => e.p50))), ms(medianOrNull(all.map((e) => e.p99))), max, `${int(delivered)}/${int(expected)}`];
};
const LOST = "'-' in a percentile: fewer than that share of the expected deliveries arrived (missing ones count as slower than any that came).";

function fanOutTable(run: RunRecord): Table {
  const rows = run.config.fanOutReaders.flatMap((readers) =>
    run.servers.flatMap((s) => {
      const all = across(run, (r) => r.fanOut[s.key]?.[readers]);
      return all.length ? [[s.name, String(readers), ...latencyCells(all)]] : [];
    }),
  );
  const { fanOutRate, fanOutSeconds } = run.config;
  return { id: "fanout", title: `Fan-out: one writer, ${fanOutRate} updates/s for ${fanOutSeconds} s, send-to-receipt latency at every reader (median over ${rounds(run)})`, header: ["server", "readers", "p50 ms", "p99 ms", "max ms", "delivered"], rows, notes: [LOST] };
}

function presenceTable(run: RunRecord): Table {
  const rows = run.servers.flatMap((s) => {
    const all = across(run, (r) => r.presence[s.key]);
    return all.length ? [[s.name, int(median(all.map((e) => e.sent))), ...latencyCells(all), int(median(all.map((e) => e.echoes)))]] : [];
  });
  const { presenceClients, presenceRate, presenceSeconds } = run.config;
  return {
    id: "presence",
    title: `Presence: ${presenceClients} clients on one document, each sending a cursor (awareness update) ${presenceRate}/s for ${presenceSeconds} s; latency to each other client (median over ${rounds(run)})`,
    header: ["server", "updates sent", "p50 ms", "p99 ms", "max ms", "delivered to others", "echoes to sender"],
    rows,
    notes: [LOST, "Echoes: copies of a client's own update relayed back to it (counted until the deliveries to others were complete), not counted as deliveries."],
  };
}

function crowdTable(run: RunRecord): Table {
  const settle = run.config.crowdSettleS;
  const rows = run.servers.flatMap((s) => {
    const all = across(run, (r) => r.crowd[s.key]);
    if (all.length === 0) return [];
    const converged = medianOrNull(all.map((e) => e.convergedMs));
    const complete = all.every((e) => e.convergedMs !== null) ? ms(converged) : `not within ${settle} s in ${all.filter((e) => e.convergedMs === null).length} of ${all.length}`;
    const delivered = `${int(all.reduce((n, e) => n + e.delivered, 0))}/${int(all.reduce((n, e) => n + e.expected, 0))}`;
    return [[s.name, ...latencyCells(all.map((e) => e.observer)), delivered, complete, all.some((e) => e.diverged) ? "TEXTS DIFFER" : "equal", fmt(median(all.map((e) => e.harnessCores)), 2)]];
  });
  const { crowdClients, crowdIntervalMs, crowdSeconds } = run.config;
  const rate = (crowdClients * 1000) / crowdIntervalMs;
  return {
    id: "crowd",
    title: `Crowd: ${crowdClients} clients typing into one document, each one character every ${crowdIntervalMs} ms at a random position for ${crowdSeconds} s (${int(rate)} updates/s in, ${int(rate * crowdClients)} deliveries/s out, to ${int(crowdClients - 1)} other typists and an observer; median over ${rounds(run)})`,
    header: ["server", "observer p50 ms", "p99 ms", "max ms", "at observer", "all clients", "converged ms after last keystroke", "texts", "harness CPU (cores)"],
    rows,
    notes: [LOST, "Latency is measured at the observer, one more client that only reads, in a thread of its own (so the typists' garbage collection does not stall it), from each keystroke until it is part of the observer's document.", "All clients: keystrokes each typist received from the others. Harness CPU: the typists' thread, which shares the machine with the server; near 1 core the typists themselves are the bottleneck."],
  };
}

function joinTable(run: RunRecord): Table {
  const rows = run.servers.flatMap((s) => {
    const all = across(run, (r) => r.joins[s.key]).flat();
    if (all.length === 0) return [];
    return [[s.name, ms(median(all)), ms(median(across(run, (r) => r.joins[s.key]?.[0]))), ms(Math.min(...all)), ms(Math.max(...all))]];
  });
  const hibernated = across(run, (r) => r.hibernatedJoin);
  if (hibernated.length) {
    const name = run.servers.find((s) => s.key === hibernated[0].target)?.name ?? hibernated[0].target;
    const times = hibernated.map((h) => h.ms);
    rows.push([`${name}, hibernated document`, ms(median(times)), "-", ms(Math.min(...times)), ms(Math.max(...times))]);
  }
  return {
    id: "join",
    title: `Join: a new client syncs the B4 final state (${int(run.trace.finalBytes)} bytes; ${run.config.joins} joins per round, ${rounds(run)}), connect to full text`,
    header: ["server", "median ms", "1st join ms", "min ms", "max ms"],
    rows,
    notes: ["Documents are held open by a connected client, so every peer has them in memory; the hibernated row joins a Quire document idle for 12 s or more (its object evicted, loaded from SQLite)."],
  };
}

function catchUpTable(run: RunRecord): Table {
  const rows = run.servers.flatMap((s) => {
    const all = across(run, (r) => r.catchUp[s.key]);
    if (all.length === 0) return [];
    const times = all.flatMap((e) => e.reconnects);
    return [[s.name, ms(median(times)), ms(median(all.map((e) => e.reconnects[0]))), ms(Math.min(...times)), ms(Math.max(...times)), fmt(median(all.map((e) => e.writeMs)) / 1000)]];
  });
  return {
    id: "catchup",
    title: `Reconnect catch-up: a client holding the state after ${Math.round((1 - run.config.catchUpFraction) * 100)}% of B4 reconnects after the other ${int(run.trace.catchUpMissed)} updates were written; connect to final text (${run.config.catchUpReconnects} reconnects per round, ${rounds(run)})`,
    header: ["server", "median ms", "1st reconnect ms", "min ms", "max ms", "writing the missed updates (s)"],
    rows,
    notes: ["The missed updates are written one by one while another client keeps the document open."],
  };
}

function memoryTable(run: RunRecord): Table {
  const rows = run.servers.map((s) => {
    const replays = across(run, (r) => r.replay[s.key]);
    return [s.name, mib(s.idle.serverBytes), mib(median(replays.map((r) => r.rssAfterBytes))), mib(median(replays.map((r) => r.rssAfterBytes - r.rssBeforeBytes))), s.idle.covers];
  });
  return { id: "memory", title: "Server memory (RSS), median over rounds", header: ["server", "idle at start", "after B4 replay", "growth during replay", "measured"], rows, notes: ["In-memory peers keep every document a client still holds; Quire's objects hibernate and the persistent peers unload documents nobody holds."] };
}

function failuresTable(run: RunRecord): Table {
  const name = (key: string) => run.servers.find((s) => s.key === key)?.name ?? key;
  const rows = run.rounds.flatMap((r) => r.failures.map((f) => [String(r.round), f.scenario, name(f.target), f.error]));
  return { id: "failures", title: "Scenarios that failed (the run went on)", header: ["round", "scenario", "server", "error"], rows, notes: [] };
}

/** Every table of the run that has rows, in reading order; the targets table last. */
export function allTables(run: RunRecord): Table[] {
  const tables = [serversTable(run), replayTable(run), fanOutTable(run), presenceTable(run), crowdTable(run), joinTable(run), catchUpTable(run), memoryTable(run), failuresTable(run), targetsTable(run)];
  return tables.filter((t) => t.rows.length > 0);
}

export function printTables(run: RunRecord, log: (line: string) => void): void {
  for (const table of allTables(run)) log(`\n${textTable(table)}`);
  const { machine } = run;
  log(`\n(${rounds(run)} in ${fmt(run.elapsedS / 60)} min on ${machine.cores} cores shared by clients and servers; server order rotates each round: expect noise.)`);
}
