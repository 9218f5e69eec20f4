// Hocuspocus on 127.0.0.1:$PORT with its defaults: documents in memory only, or, when
// $HOCUSPOCUS_SQLITE names a file, persisted there by @hocuspocus/extension-sqlite (better-sqlite3).
import { Server } from "@hocuspocus/server";

const file = process.env.HOCUSPOCUS_SQLITE;
const extensions = file ? [new (await import("@hocuspocus/extension-sqlite")).SQLite({ database: file })] : [];
const server = new Server({ address: "127.0.0.1", port: Number(process.env.PORT), quiet: true, stopOnSignals: true, extensions });
await server.listen();
