// The peer servers, each in the configuration its users deploy: in memory, and with its own persistence.
import { join } from "node:path";
import type { Target } from "../targets.ts";
import { ensureBetterSqlite3 } from "./betterSqlite3.ts";
import { startChild } from "./child.ts";

const SERVER_JS = join(import.meta.dirname, "..", "..", "..", "node_modules", "@y", "websocket-server", "src", "server.js");

/**
 * The y-websocket reference server `@y/websocket-server`, run as its own binary. With `leveldb`,
 * YPERSISTENCE makes it keep documents in LevelDB through y-leveldb: every update is written as it
 * is applied, after the in-memory relay and without waiting for the write.
 */
export const startYWebsocket = ({ leveldb }: { leveldb: boolean }): Promise<Target> =>
  startChild({
    key: leveldb ? "y-websocket-leveldb" : "y-websocket",
    name: leveldb ? "y-websocket + LevelDB" : "y-websocket (memory)",
    dialect: "y-websocket",
    durability: leveldb ? "applies it in memory and relays; appends it to LevelDB (y-leveldb) without waiting for the write" : "applies it in memory only",
    args: [SERVER_JS],
    env: leveldb ? { YPERSISTENCE: "dataDir" } : {},
    url: (base, doc) => `${base}/${doc}`,
  });

/**
 * Hocuspocus with its defaults. With `sqlite`, `@hocuspocus/extension-sqlite` stores the whole
 * document to a SQLite file via better-sqlite3, debounced: 2 s after the last change, at least every
 * 10 s while changes keep coming (Hocuspocus's `debounce` and `maxDebounce` defaults).
 */
export async function startHocuspocus({ sqlite }: { sqlite: boolean }): Promise<Target> {
  if (sqlite) await ensureBetterSqlite3((line) => process.stdout.write(`${line}\n`));
  return startChild({
    key: sqlite ? "hocuspocus-sqlite" : "hocuspocus",
    name: sqlite ? "Hocuspocus + SQLite" : "Hocuspocus (memory)",
    dialect: "hocuspocus",
    durability: sqlite
      ? "applies it in memory and relays; writes the whole document to SQLite (better-sqlite3) 2 s after the last change, at least every 10 s"
      : "applies it in memory only (relays batched within one event-loop turn)",
    args: [join(import.meta.dirname, "hocuspocus.ts")],
    env: sqlite ? { HOCUSPOCUS_SQLITE: "dataDir/documents.sqlite" } : {},
    url: (base) => base,
  });
}
