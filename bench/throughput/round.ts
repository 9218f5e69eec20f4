// One round: every scenario against every server, one server at a time, in the round's order.
import type { Config, Scenario } from "./config.ts";
import { type Contention, watchContention } from "./contention.ts";
import type { LatencySummary } from "./latency.ts";
import { quiet } from "./quiet.ts";
import { type CatchUpResult, catchUp } from "./scenarios/catchUp.ts";
import { type CrowdResult, crowd } from "./scenarios/crowd.ts";
import { fanOut } from "./scenarios/fanOut.ts";
import { type Holder, seed, syncOnce } from "./scenarios/join.ts";
import { type PresenceResult, presence } from "./scenarios/presence.ts";
import { type ReplayResult, replayB4 } from "./scenarios/replay.ts";
import type { Target } from "./targets.ts";
import type { CatchUp, FinalState, ReplayUpdates } from "./trace.ts";

/** Quire hibernates an idle document after about 10 s; the hibernated join waits a little longer. */
const HIBERNATION_IDLE_MS = 12_000;

export interface RoundResult {
  round: number;
  /** Target keys in the order they ran. */
  order: string[];
  replay: Record<string, ReplayResult>;
  fanOut: Record<string, Record<number, LatencySummary>>;
  presence: Record<string, PresenceResult>;
  crowd: Record<string, CrowdResult>;
  joins: Record<string, number[]>;
  catchUp: Record<string, CatchUpResult>;
  /** A join to a Quire document idle long enough to hibernate. */
  hibernatedJoin?: { target: string; idleS: number; ms: number };
  /** Scenarios that failed on a server, with the reason; the run goes on. */
  failures: { scenario: string; target: string; error: string }[];
  /** Other work on the machine during the round (absent in records from before it was measured). */
  contention?: Contention;
}

export interface Workload {
  replay: ReplayUpdates;
  final: FinalState;
  catchUp: CatchUp;
  appends: { updates: Uint8Array[]; clientID: number };
}

type Log = (line: string) => void;
const ms = (value: number | null | undefined) => (value === null || value === undefined ? "-" : value.toFixed(value < 10 ? 2 : 0));
const latency = (s: LatencySummary) => `p50 ${ms(s.p50)} ms, p99 ${ms(s.p99)} ms (${s.delivered}/${s.expected})`;

export async function runRound(r: number, order: Target[], config: Config, work: Workload, stamp: string, log: Log): Promise<RoundResult> {
  const result: RoundResult = { round: r + 1, order: order.map((t) => t.key), replay: {}, fanOut: {}, presence: {}, crowd: {}, joins: {}, catchUp: {}, failures: [] };
  const contention = watchContention(order);
  const docName = (target: Target, scenario: string) => `bench-${stamp}-${target.key}-r${r + 1}-${scenario}`;
  const wants = (scenario: Scenario) => config.scenarios.includes(scenario);
  /** Runs one scenario on one server after it has gone quiet; a failure is recorded, not thrown. */
  const attempt = async <T>(scenario: string, target: Target, run: () => Promise<T>, done: (value: T) => void = () => undefined): Promise<T | undefined> => {
    if ((await quiet(target)) === null) log(`  (${target.name} was still busy after 2 min; measuring anyway)`);
    try {
      const value = await run();
      done(value);
      return value;
    } catch (error) {
      const message = (error as Error).message.split("\n")[0];
      result.failures.push({ scenario, target: target.key, error: message });
      log(`  ${scenario} ${target.name}: FAILED: ${message}`);
      return undefined;
    }
  };

  const quire = order.find((t) => t.key === "quire-direct") ?? order.find((t) => t.key === "quire-proxy");
  const hibernating = quire && wants("hibernated") ? await attempt("hibernated join", quire, () => seedToHibernate(quire, docName(quire, "hibernated"), work.final)) : undefined;
  const holders: Holder[] = [];
  try {
    for (const target of wants("replay") ? order : []) {
      await attempt("B4 replay", target, () => replayB4(target, docName(target, "b4"), work.replay, config.b4Window, config.b4TimeoutS * 1000), (res) => {
        result.replay[target.key] = res;
        const rate = Math.round(res.updatesPerSecond);
        const how = res.finished ? `${(res.ms / 1000).toFixed(1)} s, ${rate} updates/s` : `did not finish within ${config.b4TimeoutS} s (>= ${rate} updates/s lower bound: ${res.received} of ${res.updates} updates relayed)`;
        log(`  B4 replay ${target.name}: ${how}, server CPU ${res.serverCpuMicros.toFixed(0)} us/update`);
      });
    }
    for (const readers of wants("fanout") ? config.fanOutReaders : []) {
      for (const target of order) {
        await attempt(`fan-out ${readers}`, target, () => fanOut(target, docName(target, `fan${readers}`), readers, config.fanOutRate, work.appends), (res) => {
          (result.fanOut[target.key] ??= {})[readers] = res;
          log(`  fan-out ${readers} ${target.name}: ${latency(res)}`);
        });
      }
    }
    for (const target of wants("presence") ? order : []) {
      await attempt("presence", target, () => presence(target, docName(target, "presence"), config.presenceClients, config.presenceRate, config.presenceSeconds), (res) => {
        result.presence[target.key] = res;
        log(`  presence ${target.name}: ${latency(res)}, ${res.echoes} echoes`);
      });
    }
    for (const target of wants("crowd") ? order : []) {
      const options = { clients: config.crowdClients, intervalMs: config.crowdIntervalMs, seconds: config.crowdSeconds, settleMs: config.crowdSettleS * 1000 };
      await attempt("crowd", target, () => crowd(target, docName(target, "crowd"), options), (res) => {
        result.crowd[target.key] = res;
        const converged = res.convergedMs === null ? `${res.converged}/${config.crowdClients} clients complete after ${config.crowdSettleS} s` : `converged ${ms(res.convergedMs)} ms after the last keystroke`;
        log(`  crowd ${target.name}: observer ${latency(res.observer)}, ${converged}${res.diverged ? ", TEXTS DIFFER" : ""}`);
      });
    }
    const documentServers = order.filter((t) => !t.relayOnly);
    for (const target of wants("join") ? documentServers : []) {
      const doc = docName(target, "join");
      await attempt("join", target, async () => {
        holders.push(await seed(target, doc, work.final.update, work.final.expected));
        const times: number[] = [];
        for (let j = 0; j < config.joins; j++) times.push(await syncOnce(target, doc, work.final.expected));
        return times;
      }, (times) => {
        result.joins[target.key] = times;
        log(`  join ${target.name}: ${times.map((t) => t.toFixed(1)).join(" / ")} ms`);
      });
    }
    for (const target of wants("catchup") ? documentServers : []) {
      await attempt("catch-up", target, () => catchUp(target, docName(target, "catchup"), work.catchUp, config.b4Window, config.b4TimeoutS * 1000, config.catchUpReconnects), (res) => {
        result.catchUp[target.key] = res;
        log(`  catch-up ${target.name}: ${res.missed} missed updates written in ${(res.writeMs / 1000).toFixed(1)} s; reconnects ${res.reconnects.map((t) => t.toFixed(1)).join(" / ")} ms`);
      });
    }
    if (quire && hibernating) await hibernatedJoin(quire, hibernating, work.final, result, log);
  } finally {
    for (const holder of holders) holder.client.close();
    hibernating?.holder.client.close();
  }
  result.contention = contention();
  const { otherCores, iowaitCores, loadAverage } = result.contention;
  log(`  (other processes on the machine used ${otherCores.toFixed(2)} cores on average, I/O wait ${iowaitCores.toFixed(2)} cores, load average ${loadAverage.toFixed(1)})`);
  return result;
}

interface Hibernating {
  doc: string;
  holder: Holder;
  since: number;
}

/** Seeds the document the hibernated join opens at the end of the round, and starts its idle clock. */
async function seedToHibernate(quire: Target, doc: string, final: FinalState): Promise<Hibernating> {
  return { doc, holder: await seed(quire, doc, final.update, final.expected), since: performance.now() };
}

/** Joins the document seeded at the start of the round once it has been idle long enough to hibernate. */
async function hibernatedJoin(quire: Target, hibernating: Hibernating, final: FinalState, result: RoundResult, log: Log): Promise<void> {
  const idle = HIBERNATION_IDLE_MS - (performance.now() - hibernating.since);
  if (idle > 0) await new Promise((done) => setTimeout(done, idle));
  const idleS = (performance.now() - hibernating.since) / 1000;
  try {
    result.hibernatedJoin = { target: quire.key, idleS, ms: await syncOnce(quire, hibernating.doc, final.expected) };
    log(`  join ${quire.name} after ${idleS.toFixed(0)} s idle (hibernated): ${result.hibernatedJoin.ms.toFixed(1)} ms`);
  } catch (error) {
    result.failures.push({ scenario: "hibernated join", target: quire.key, error: (error as Error).message.split("\n")[0] });
  }
}
