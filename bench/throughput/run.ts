// Throughput and latency of Quire against peer Yjs servers, with the same raw y-protocols clients
// for all: B4 trace replay, fan-out latency, joining a B4-sized document, server memory.
// `npm run bench`, or `node bench/throughput/run.ts`; settings in bench/throughput/README.md.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import type { RawClient } from "./client.ts";
import { fmt, int, median, mib, percentile, table } from "./report.ts";
import { fanOut, joinOnce, replayB4, seedFinalState, type ReplayResult } from "./scenarios.ts";
import { ROOT, SKIPPED, STARTERS, type Target } from "./targets.ts";
import { appendUpdates, loadB4 } from "./trace.ts";

const env = process.env;
const quick = env.BENCH_QUICK === "1";
const num = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
const config = {
  rounds: num("BENCH_ROUNDS", quick ? 1 : 3),
  b4Patches: env.BENCH_B4_PATCHES === "all" ? Infinity : num("BENCH_B4_PATCHES", quick ? 10_000 : 30_000),
  b4Window: num("BENCH_B4_WINDOW", 1000),
  fanOutReaders: (env.BENCH_FANOUT_READERS ?? "1,10,50").split(",").map(Number),
  fanOutRate: num("BENCH_FANOUT_RATE", 50),
  fanOutSeconds: num("BENCH_FANOUT_SECONDS", quick ? 2 : 5),
  joins: num("BENCH_JOINS", quick ? 3 : 5),
  hibernatedJoin: env.BENCH_HIBERNATED_JOIN !== "0",
  servers: (env.BENCH_SERVERS ?? Object.keys(STARTERS).join(",")).split(","),
};
/** Quire hibernates an idle document after about 10 s; the hibernated join waits a little longer. */
const HIBERNATION_IDLE_MS = 12_000;

interface RoundResult {
  round: number;
  order: string[];
  replay: Record<string, ReplayResult>;
  fanOut: Record<string, Record<number, { p50: number; p99: number; max: number; delivered: number; expected: number }>>;
  joins: Record<string, number[]>;
  /** A join to a Quire document idle long enough to hibernate. */
  hibernatedJoin?: { target: string; ms: number };
}

const log = (line: string) => process.stdout.write(`${line}\n`);

/** Servers started so far, stopped on the way out, also when the run is interrupted. */
const targets: Target[] = [];
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void Promise.allSettled(targets.map((t) => t.stop())).then(() => process.exit(130));
  });
}

async function startAll(): Promise<void> {
  for (const key of config.servers) {
    const start = STARTERS[key];
    if (!start) throw new Error(`unknown server ${key}; known: ${Object.keys(STARTERS).join(", ")}`);
    const started = performance.now();
    try {
      targets.push(...(await start()));
      log(`started ${key} in ${fmt(performance.now() - started, 0)} ms`);
    } catch (error) {
      log(`skipped ${key}: it did not start (${(error as Error).message.split("\n")[0]})`);
    }
  }
}

async function main(): Promise<void> {
  log(`config: ${JSON.stringify(config)}`);
  for (const [name, why] of Object.entries(SKIPPED)) log(`not run: ${name}: ${why}`);
  let started = performance.now();
  const { replay, final } = loadB4(config.b4Patches);
  const appends = appendUpdates(config.fanOutRate * config.fanOutSeconds);
  log(
    `B4: ${int(replay.updates.length)} of ${int(replay.tracePatches)} patches as updates (${int(replay.bytes)} bytes), ` +
      `final state ${int(final.update.byteLength)} bytes; prepared in ${fmt(performance.now() - started, 0)} ms`,
  );

  await startAll();
  const idleRss = Object.fromEntries(targets.map((t) => [t.name, t.memory()]));
  const rounds: RoundResult[] = [];
  const stamp = Date.now().toString(36);
  /** A new document for each target, round and scenario (two targets may share one server). */
  const docName = (target: Target, round: number, scenario: string) => `bench-${stamp}-${target.name.replace(/\W+/g, "-")}-r${round}-${scenario}`;
  const holders: RawClient[] = [];
  started = performance.now();
  try {
    for (let r = 0; r < config.rounds; r++) {
      const order = targets.map((_, i) => targets[(i + r) % targets.length]);
      const result: RoundResult = { round: r + 1, order: order.map((t) => t.name), replay: {}, fanOut: {}, joins: {} };
      log(`\nround ${r + 1}/${config.rounds}: ${result.order.join(", ")}`);
      const quire = order.find((t) => t.name === "Quire direct") ?? order.find((t) => t.name === "Quire");
      let hibernating: { doc: string; since: number } | null = null;
      if (quire && config.hibernatedJoin) {
        const doc = docName(quire, r, "hibernated");
        holders.push(await seedFinalState(quire, doc, final));
        hibernating = { doc, since: performance.now() };
      }

      for (const target of order) {
        const res = await replayB4(target, docName(target, r, "b4"), replay, config.b4Window, 300_000);
        result.replay[target.name] = res;
        log(`  B4 replay ${target.name}: ${fmt(res.ms, 0)} ms, ${int(res.updatesPerSecond)} updates/s, server CPU ${fmt(res.serverCpuMicros, 0)} us/update`);
      }
      for (const readers of config.fanOutReaders) {
        for (const target of order) {
          const res = await fanOut(target, docName(target, r, `fan${readers}`), readers, config.fanOutRate, appends);
          const entry = { p50: percentile(res.latencies, 50), p99: percentile(res.latencies, 99), max: Math.max(...res.latencies), delivered: res.latencies.length, expected: res.expected };
          (result.fanOut[target.name] ??= {})[readers] = entry;
          log(`  fan-out ${readers} ${target.name}: p50 ${fmt(entry.p50, 2)} ms, p99 ${fmt(entry.p99, 2)} ms (${entry.delivered}/${entry.expected})`);
        }
      }
      for (const target of order) {
        const doc = docName(target, r, "join");
        holders.push(await seedFinalState(target, doc, final));
        const times: number[] = [];
        for (let j = 0; j < config.joins; j++) times.push(await joinOnce(target, doc, final));
        result.joins[target.name] = times;
        log(`  join ${target.name}: ${times.map((t) => fmt(t, 1)).join(" / ")} ms`);
      }
      if (quire && hibernating) {
        const idle = HIBERNATION_IDLE_MS - (performance.now() - hibernating.since);
        if (idle > 0) await new Promise((done) => setTimeout(done, idle));
        const idleS = (performance.now() - hibernating.since) / 1000;
        result.hibernatedJoin = { target: quire.name, ms: await joinOnce(quire, hibernating.doc, final) };
        log(`  join ${quire.name} after ${fmt(idleS, 0)} s idle (hibernated): ${fmt(result.hibernatedJoin.ms, 1)} ms`);
      }
      rounds.push(result);
      for (const holder of holders.splice(0)) holder.close();
    }
  } finally {
    for (const holder of holders) holder.close();
    for (const target of targets) await target.stop();
  }
  const elapsedS = (performance.now() - started) / 1000;
  report(targets, rounds, idleRss, replay.updates.length, elapsedS);
}

function report(targets: Target[], rounds: RoundResult[], idleRss: Record<string, { serverBytes: number; covers: string }>, updates: number, elapsedS: number): void {
  const names = targets.map((t) => t.name);
  const byName = (name: string) => targets.find((t) => t.name === name)!;
  const n = rounds.length;
  const replayRows = names.map((name) => {
    const ms = rounds.map((r) => r.replay[name]?.ms ?? Number.NaN);
    const med = median(ms);
    const cpu = median(rounds.map((r) => r.replay[name]?.serverCpuMicros ?? Number.NaN));
    return [name, byName(name).durability, fmt(med, 0), int((updates / med) * 1000), fmt(cpu, 0), ms.map((v) => fmt(v, 0)).join(" / ")];
  });
  log("");
  log(table(`1. B4 replay: ${int(updates)} updates, one per patch, writer -> server -> reader (median of ${n} rounds)`, ["server", "before relaying", "wall ms", "updates/s", "server CPU us/update", "rounds (ms)"], replayRows));
  log("   Quire stores every update durably in SQLite before relaying it; the peers here keep documents in memory only.");

  const fanRows: string[][] = [];
  for (const readers of config.fanOutReaders) {
    for (const name of names) {
      const entries = rounds.map((r) => r.fanOut[name]?.[readers]).filter((e) => e !== undefined);
      const delivered = entries.reduce((s, e) => s + e.delivered, 0);
      const expected = entries.reduce((s, e) => s + e.expected, 0);
      fanRows.push([name, String(readers), fmt(median(entries.map((e) => e.p50)), 2), fmt(median(entries.map((e) => e.p99)), 2), fmt(Math.max(...entries.map((e) => e.max)), 1), `${delivered}/${expected}`]);
    }
  }
  log("");
  log(table(`2. Fan-out: one writer, ${config.fanOutRate} updates/s for ${config.fanOutSeconds} s, send-to-receipt latency (median over ${n} rounds of each round's percentile)`, ["server", "readers", "p50 ms", "p99 ms", "max ms", "delivered"], fanRows));

  const joinRows = names.map((name) => {
    const all = rounds.flatMap((r) => r.joins[name] ?? []);
    const firsts = rounds.map((r) => r.joins[name]?.[0] ?? Number.NaN);
    return [name, fmt(median(all), 1), fmt(median(firsts), 1), fmt(Math.min(...all), 1), fmt(Math.max(...all), 1)];
  });
  const hibernated = rounds.map((r) => r.hibernatedJoin?.ms).filter((v) => v !== undefined);
  if (hibernated.length) joinRows.push([`${rounds[0].hibernatedJoin!.target}, hibernated doc`, fmt(median(hibernated), 1), "-", fmt(Math.min(...hibernated), 1), fmt(Math.max(...hibernated), 1)]);
  log("");
  log(table(`3. Join: a new client syncs the B4 final state (${config.joins} joins per round, ${n} rounds), connect to full text`, ["server", "median ms", "1st join ms", "min ms", "max ms"], joinRows));
  log("   Documents are held open by a connected client, so every peer has them in memory; the hibernated row joins a Quire document idle for 12 s or more (its object evicted, loaded from SQLite).");

  const memRows = names.map((name) => {
    const after = rounds.map((r) => r.replay[name]?.rssAfterBytes ?? 0);
    const delta = rounds.map((r) => (r.replay[name] ? r.replay[name].rssAfterBytes - r.replay[name].rssBeforeBytes : 0));
    return [name, mib(idleRss[name].serverBytes), mib(median(after)), mib(median(delta)), idleRss[name].covers];
  });
  log("");
  log(table("4. Server memory (RSS), median over rounds", ["server", "idle at start", "after B4 replay", "growth during replay", "measured"], memRows));
  log(`   Documents from earlier rounds stay loaded in the peers (no persistence to unload to); Quire's objects hibernate.`);
  log(`\n(${n} rounds in ${fmt(elapsedS, 0)} s; server order rotates each round; ${cpus().length} cores shared by clients and servers: expect noise.)`);

  const dir = join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "latest.json");
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, config: { ...config, b4Patches: updates }, skipped: SKIPPED, servers: targets.map((t) => ({ name: t.name, dialect: t.dialect, durability: t.durability, idle: idleRss[t.name] })), rounds }, null, 2)}\n`,
  );
  log(`results: ${file}`);
}

await main();
