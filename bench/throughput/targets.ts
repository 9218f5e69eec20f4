// The servers under test, as targets the scenarios drive: Quire under a real `wrangler dev` (two
// targets: through wrangler's proxy and straight to workerd), y-partyserver under its own `wrangler dev`,
// the bare workerd relay (the runtime's floor) under its own, and the other peers as Node child processes.
import { resolve } from "node:path";
import type { Dialect } from "./client.ts";
import { startHocuspocus, startYWebsocket } from "./servers/peers.ts";
import { startQuire } from "./servers/quire.ts";
import { startWorkerdRelay } from "./servers/workerdRelay.ts";
import { startYPartyserver } from "./servers/yPartyserver.ts";

export const ROOT = resolve(import.meta.dirname, "../..");

export interface Memory {
  /** Resident memory of the server process(es), bytes. */
  serverBytes: number;
  /** What the figure covers. */
  covers: string;
}

export interface Target {
  /** Stable id, used in result files. */
  key: string;
  /** The label in tables and charts. */
  name: string;
  dialect: Dialect;
  /** What this server does with an update before (and after) relaying it. */
  durability: string;
  /** Keeps no document: runs only the scenarios that relay (replay, fan-out, presence, crowd). */
  relayOnly?: boolean;
  /** A URL for one connection to `docName` with write access. */
  url(docName: string): Promise<string>;
  memory(): Memory;
  /** CPU time the server process(es) have used so far, seconds. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** Every server by its key in BENCH_SERVERS; Quire and y-partyserver each start two targets on one server. */
export const STARTERS: Record<string, () => Promise<Target[]>> = {
  quire: () => startQuire(),
  "y-websocket": async () => [await startYWebsocket({ leveldb: false })],
  "y-websocket-leveldb": async () => [await startYWebsocket({ leveldb: true })],
  hocuspocus: async () => [await startHocuspocus({ sqlite: false })],
  "hocuspocus-sqlite": async () => [await startHocuspocus({ sqlite: true })],
  "y-partyserver": () => startYPartyserver(),
  "workerd-relay": () => startWorkerdRelay(),
};

/** Peers that were considered and why they are not run here. */
export const SKIPPED: Record<string, string> = {
  "y-sweet": "its npm package downloads the server binary from GitHub at first run; this machine reaches no network but the package registries",
};
