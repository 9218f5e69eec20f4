// Throughput and latency of Quire against peer Yjs servers, with the same raw y-protocols clients
// for all: B4 trace replay, fan-out, presence, a typing crowd, joins, reconnect catch-up, memory.
// `npm run bench`, or `node bench/throughput/run.ts`; settings in bench/throughput/README.md.
import { config } from "./config.ts";
import { machineFacts } from "./machine.ts";
import { int } from "./report.ts";
import type { RunRecord } from "./record.ts";
import { writeResults } from "./results.ts";
import { type RoundResult, runRound, type Workload } from "./round.ts";
import { printTables } from "./tables.ts";
import { SKIPPED, STARTERS, type Target } from "./targets.ts";
import { appendUpdates, loadB4 } from "./trace.ts";

const log = (line: string) => process.stdout.write(`${line}\n`);

/** Servers started so far, stopped on the way out, also when the run is interrupted or crashes. */
const targets: Target[] = [];
let stopping: Promise<unknown> | null = null;
const stopAll = () => (stopping ??= Promise.allSettled(targets.map((t) => t.stop())));
const stopAndExit = (code: number) => void stopAll().then(() => process.exit(code));
/** A server being started is not in `targets` yet: an interruption then waits for it. */
let starting = false;
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`\n${signal}: stopping the servers`);
    interrupted = true;
    if (!starting) stopAndExit(130);
  });
}
process.on("uncaughtException", (error) => {
  log(`\nuncaught: ${error.stack ?? error.message}\nstopping the servers`);
  stopAndExit(1);
});

/** Starts every configured server; one that does not start is reported and left out. */
async function startAll(): Promise<Record<string, string>> {
  const unknown = config.servers.filter((key) => !STARTERS[key]);
  if (unknown.length) throw new Error(`unknown server ${unknown.join(", ")} in BENCH_SERVERS; known: ${Object.keys(STARTERS).join(", ")}`);
  const notStarted: Record<string, string> = {};
  for (const key of config.servers) {
    const started = performance.now();
    starting = true;
    try {
      const these = await STARTERS[key]();
      targets.push(...these);
      log(`started ${these.map((t) => t.name).join(" and ")} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } catch (error) {
      notStarted[key] = (error as Error).message.split("\n")[0];
      log(`SKIPPED ${key}: it did not start: ${notStarted[key]}`);
    } finally {
      starting = false;
    }
    if (interrupted) {
      await stopAll();
      process.exit(130);
    }
  }
  return notStarted;
}

function prepare(): { work: Workload; trace: RunRecord["trace"] } {
  const started = performance.now();
  const { replay, final, catchUp } = loadB4(config.b4Patches, config.catchUpFraction);
  const work = { replay, final, catchUp, appends: appendUpdates(config.fanOutRate * config.fanOutSeconds) };
  log(
    `B4: ${int(replay.updates.length)} of ${int(replay.tracePatches)} patches as updates (${int(replay.bytes)} bytes), final state ${int(final.update.byteLength)} bytes, ` +
      `catch-up: ${int(catchUp.tail.updates.length)} missed updates; prepared in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return { work, trace: { updates: replay.updates.length, tracePatches: replay.tracePatches, bytes: replay.bytes, finalBytes: final.update.byteLength, catchUpMissed: catchUp.tail.updates.length } };
}

async function main(): Promise<void> {
  log(`config: ${JSON.stringify(config)}`);
  for (const [name, why] of Object.entries(SKIPPED)) log(`not run: ${name}: ${why}`);
  const { work, trace } = prepare();
  const machine = machineFacts();
  const notStarted = await startAll();
  const idle = Object.fromEntries(targets.map((t) => [t.key, t.memory()]));
  const rounds: RoundResult[] = [];
  const stamp = Date.now().toString(36);
  const started = performance.now();
  try {
    for (let r = 0; r < config.rounds; r++) {
      const order = targets.map((_, i) => targets[(i + r) % targets.length]);
      log(`\nround ${r + 1}/${config.rounds}: ${order.map((t) => t.name).join(", ")}`);
      rounds.push(await runRound(r, order, config, work, stamp, log));
    }
  } finally {
    await stopAll();
  }
  const run: RunRecord = {
    date: new Date().toISOString(),
    elapsedS: (performance.now() - started) / 1000,
    machine,
    config: { ...config, b4Patches: trace.updates },
    trace,
    skipped: { ...SKIPPED, ...notStarted },
    servers: targets.map((t) => ({ key: t.key, name: t.name, dialect: t.dialect, durability: t.durability, idle: idle[t.key] })),
    rounds,
  };
  printTables(run, log);
  for (const file of writeResults(run)) log(`wrote ${file}`);
}

try {
  await main();
} finally {
  await stopAll();
}
