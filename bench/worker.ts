// The Quire Worker plus timing endpoints, for bench/compaction.ts only (never deployed).
// The document object is subclassed with methods that seed the log and time loads and compaction.
import * as decoding from "lib0/decoding";
import * as Y from "yjs";
import worker, { DocumentObject as QuireDocumentObject } from "../src/index";
import type { Env } from "../src/env";

export class DocumentObject extends QuireDocumentObject {
  /** Appends length-prefixed updates straight to the log (no broadcast, no alarm); returns the last seq. */
  async benchAppend(docId: string, batch: Uint8Array): Promise<number> {
    this.rememberDocId(docId);
    const decoder = decoding.createDecoder(batch);
    while (decoding.hasContent(decoder)) this.log.append(decoding.readVarUint8Array(decoder), "bench");
    return this.log.lastSeq();
  }

  /** Loads the document into a fresh Y.Doc the way a cold object does, either from the log alone or from snapshot + tail. */
  async benchLoad(docId: string, mode: "log" | "snapshot"): Promise<{ ms: number; chars: number; rows: number }> {
    this.rememberDocId(docId);
    const doc = new Y.Doc();
    const started = performance.now();
    if (mode === "log") this.log.replayInto(doc);
    else await this.compactor.loadInto(doc);
    const ms = performance.now() - started;
    let chars = 0;
    for (const name of doc.share.keys()) chars += doc.getText(name).length;
    return { ms, chars, rows: this.log.stats().updates };
  }

  /** Loads the room's document (a cold load), then compacts, reporting the time spent blocking. */
  async benchCompact(docId: string): Promise<{ loadMs: number; blockingMs: number; encodeMs: number; commitMs: number; totalMs: number; size: number; seq: number }> {
    this.rememberDocId(docId);
    let started = performance.now();
    await this.room.getDoc();
    const loadMs = performance.now() - started;
    started = performance.now();
    const result = await this.compactor.compact("manual");
    const totalMs = performance.now() - started;
    return { loadMs, totalMs, ...result.timings, blockingMs: result.blockingMs, size: result.snapshot.size, seq: result.snapshot.seq };
  }

  /** What the document's SQLite database holds: its size, the log's rows and bytes, the newest snapshot. */
  async benchStorage(docId: string): Promise<{ databaseBytes: number; logRows: number; logDataBytes: number; snapshot: { size: number; encoding: string; v1Size: number; v2Size: number } | null }> {
    this.rememberDocId(docId);
    const sql = this.ctx.storage.sql;
    const log = sql.exec<{ rows: number; bytes: number | null }>("SELECT COUNT(*) AS rows, SUM(LENGTH(data)) AS bytes FROM update_log").one();
    const newest = this.compactor.index.newest();
    const bytes = newest ? this.compactor.index.localCopy(newest.seq) : null;
    const v1 = bytes && newest ? (newest.encoding === "v2" ? Y.convertUpdateFormatV2ToV1(bytes) : bytes) : null;
    const snapshot = newest && v1 ? { size: newest.size, encoding: newest.encoding, v1Size: v1.byteLength, v2Size: Y.convertUpdateFormatV1ToV2(v1).byteLength } : null;
    return { databaseBytes: sql.databaseSize, logRows: log.rows, logDataBytes: log.bytes ?? 0, snapshot };
  }

  /** Drops this instance, so the next call meets a new one with nothing in memory. */
  async benchEvict(): Promise<void> {
    this.ctx.abort("bench: evict");
  }
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const match = /^\/bench\/([^/]+)\/(append|load|compact|storage|evict)$/.exec(new URL(request.url).pathname);
    if (!match) return worker.fetch(request, env, ctx);
    const [, docId, action] = match;
    const stub = env.DOCUMENTS.getByName(docId) as unknown as DurableObjectStub<DocumentObject>;
    const mode = new URL(request.url).searchParams.get("mode") === "log" ? "log" : "snapshot";
    switch (action) {
      case "append":
        return Response.json({ lastSeq: await stub.benchAppend(docId, new Uint8Array(await request.arrayBuffer())) });
      case "load":
        return Response.json(await stub.benchLoad(docId, mode));
      case "compact":
        return Response.json(await stub.benchCompact(docId));
      case "storage":
        return Response.json(await stub.benchStorage(docId));
      default:
        await stub.benchEvict().catch(() => undefined);
        return Response.json({ evicted: true });
    }
  },
} satisfies ExportedHandler<Env>;
