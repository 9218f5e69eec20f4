// The record of one benchmark run, as written to bench/results/latest.json and read back to render it.
import type { Config } from "./config.ts";
import type { Machine } from "./machine.ts";
import type { RoundResult } from "./round.ts";
import type { Memory } from "./targets.ts";

export interface ServerRecord {
  key: string;
  name: string;
  dialect: string;
  durability: string;
  /** Resident memory right after start. */
  idle: Memory;
}

export interface RunRecord {
  date: string;
  elapsedS: number;
  machine: Machine;
  /** The settings, with b4Patches as the number of updates actually replayed. */
  config: Config;
  trace: { updates: number; tracePatches: number; bytes: number; finalBytes: number; catchUpMissed: number };
  /** Servers not measured, with the reason: never considered runnable here, or did not start. */
  skipped: Record<string, string>;
  servers: ServerRecord[];
  rounds: RoundResult[];
}
