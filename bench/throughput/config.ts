// Benchmark settings from the environment (documented in bench/throughput/README.md).
import { STARTERS } from "./targets.ts";

const env = process.env;
const quick = env.BENCH_QUICK === "1";
const num = (name: string, normal: number, short = normal) => (env[name] ? Number(env[name]) : quick ? short : normal);
const list = (name: string, fallback: string) => (env[name] ?? fallback).split(",").map((s) => s.trim()).filter(Boolean);

export const SCENARIOS = ["replay", "fanout", "presence", "crowd", "join", "catchup", "hibernated"] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const config = {
  quick,
  rounds: num("BENCH_ROUNDS", 3, 1),
  /** Patches of the B4 trace replayed; Infinity is the whole trace. */
  b4Patches: env.BENCH_B4_PATCHES === "all" || (!env.BENCH_B4_PATCHES && !quick) ? Infinity : num("BENCH_B4_PATCHES", Infinity, 10_000),
  b4Window: num("BENCH_B4_WINDOW", 1000),
  b4TimeoutS: num("BENCH_B4_TIMEOUT_S", 600, 120),
  fanOutReaders: list("BENCH_FANOUT_READERS", "1,10,50").map(Number),
  fanOutRate: num("BENCH_FANOUT_RATE", 50),
  fanOutSeconds: num("BENCH_FANOUT_SECONDS", 5, 2),
  presenceClients: num("BENCH_PRESENCE_CLIENTS", 50),
  presenceRate: num("BENCH_PRESENCE_RATE", 2),
  presenceSeconds: num("BENCH_PRESENCE_SECONDS", 10, 3),
  crowdClients: num("BENCH_CROWD_CLIENTS", 100),
  crowdIntervalMs: num("BENCH_CROWD_INTERVAL_MS", 500),
  crowdSeconds: num("BENCH_CROWD_SECONDS", 30, 10),
  crowdSettleS: num("BENCH_CROWD_SETTLE_S", 120, 60),
  catchUpFraction: num("BENCH_CATCHUP_FRACTION", 0.1),
  catchUpReconnects: num("BENCH_CATCHUP_RECONNECTS", 3, 2),
  joins: num("BENCH_JOINS", 5, 3),
  scenarios: list("BENCH_SCENARIOS", SCENARIOS.join(",")) as Scenario[],
  servers: list("BENCH_SERVERS", Object.keys(STARTERS).join(",")),
};

export type Config = typeof config;

for (const scenario of config.scenarios) {
  if (!SCENARIOS.includes(scenario)) throw new Error(`unknown scenario ${scenario} in BENCH_SCENARIOS; known: ${SCENARIOS.join(", ")}`);
}
if (env.BENCH_HIBERNATED_JOIN === "0") config.scenarios = config.scenarios.filter((s) => s !== "hibernated");
