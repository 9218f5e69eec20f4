// The Quire Worker plus timing endpoints, for bench/perUpdate/run.ts only (never deployed).
// `step`: the document object runs one step of the per-update path over a batch of update frames,
// all in one event. `events`: the Worker sends the frames one per RPC call, so each update is its
// own event with its own commit. The caller times requests from outside (workerd's clock does not
// advance during synchronous code) and subtracts a baseline.
import * as decoding from "lib0/decoding";
import * as Y from "yjs";
import worker, { DocumentObject as QuireDocumentObject } from "../../src/index";
import type { Connection, Session } from "../../src/document/connection";
import type { Env } from "../../src/env";
import { decodeMessage, encodeUpdate } from "../../src/protocol/messages";

export const STEPS = [
  "baseline",
  "decode-frame",
  "validate",
  "apply",
  "append",
  "bookkeeping",
  "encode-relay",
  "room",
] as const;
export type Step = (typeof STEPS)[number];

/** A connection with no socket behind it: the room's sends go nowhere. */
function fakeConnection(): Connection {
  const session: Session = { id: crypto.randomUUID(), userId: "bench", access: "write", connectedAt: Date.now(), ack: false };
  return {
    session,
    presence: [],
    setPresence: () => undefined,
    send: () => undefined,
    close: (code, reason) => {
      throw new Error(`bench connection closed: ${code} ${reason}`);
    },
  };
}

/** Steps timed one update per event (one RPC call each), as WebSocket messages arrive. */
export const EVENT_STEPS = ["noop", "write", "txn-write", "insert", "append", "room"] as const;
export type EventStep = (typeof EVENT_STEPS)[number];

export class DocumentObject extends QuireDocumentObject {
  private benchConnection: Connection | null = null;
  private benchWrites = 0;

  /**
   * One update as its own event: its writes commit on their own and the reply waits for that
   * commit behind the output gate, as the relay of a WebSocket message does.
   */
  async benchEvent(step: EventStep, frame: Uint8Array): Promise<void> {
    switch (step) {
      case "noop":
        return;
      case "write":
        this.benchWrites++;
        this.ctx.storage.sql.exec(`INSERT INTO document_meta (key, value) VALUES ('bench', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, String(this.benchWrites));
        return;
      case "txn-write":
        this.benchWrites++;
        this.ctx.storage.transactionSync(() =>
          this.ctx.storage.sql.exec(`INSERT INTO document_meta (key, value) VALUES ('bench', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, String(this.benchWrites)),
        );
        return;
      case "insert": {
        // The update log's INSERT without UpdateLog.append's transactionSync and sequence lookup.
        const message = decodeMessage(frame);
        if (message.type !== "update") return;
        this.benchWrites++;
        this.ctx.storage.sql.exec(
          `INSERT INTO update_log (seq, part, parts, created_at, user_id, data) VALUES (?, 0, 1, ?, 'bench', ?)`,
          1_000_000_000 + this.benchWrites, Date.now(), message.update,
        );
        return;
      }
      case "append": {
        const message = decodeMessage(frame);
        if (message.type === "update") this.log.append(message.update, "bench");
        return;
      }
      case "room":
        this.benchConnection ??= fakeConnection();
        return this.room.receive(this.benchConnection, frame.slice().buffer);
    }
  }

  /** Runs `step` over every frame of the length-prefixed batch; returns how many frames it handled. */
  async benchStep(docId: string, step: Step, batch: Uint8Array): Promise<number> {
    this.rememberDocId(docId);
    const frames: Uint8Array[] = [];
    const decoder = decoding.createDecoder(batch);
    while (decoding.hasContent(decoder)) frames.push(decoding.readVarUint8Array(decoder));
    const payload = (frame: Uint8Array) => {
      const message = decodeMessage(frame);
      if (message.type !== "update") throw new Error("expected update frames");
      return message.update;
    };
    const doc = new Y.Doc();
    const connection = fakeConnection();
    // Private on the class; the bench calls it to time it alone.
    const afterAppend = (this as unknown as { afterAppend(bytes: number, userId: string): void }).afterAppend.bind(this);
    for (const frame of frames) {
      switch (step) {
        case "baseline":
          break;
        case "decode-frame":
          payload(frame);
          break;
        case "validate":
          Y.decodeUpdate(payload(frame));
          break;
        case "apply": {
          const collect = () => undefined;
          doc.on("update", collect);
          Y.applyUpdate(doc, payload(frame), null);
          doc.off("update", collect);
          break;
        }
        case "append":
          this.log.append(payload(frame), "bench");
          break;
        case "bookkeeping":
          afterAppend(frame.byteLength, "bench");
          break;
        case "encode-relay":
          encodeUpdate(payload(frame));
          break;
        case "room":
          await this.room.receive(connection, frame.slice().buffer);
          break;
      }
    }
    return frames.length;
  }
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const match = /^\/bench\/([^/]+)\/(step|events)\/([a-z-]+)$/.exec(new URL(request.url).pathname);
    if (!match) return worker.fetch(request, env, ctx);
    const [, docId, kind, step] = match;
    if (kind === "events") {
      if (!(EVENT_STEPS as readonly string[]).includes(step)) return new Response("unknown step", { status: 400 });
      const stub = env.DOCUMENTS.getByName(docId) as unknown as DurableObjectStub<DocumentObject>;
      const decoder = decoding.createDecoder(new Uint8Array(await request.arrayBuffer()));
      const frames: Uint8Array[] = [];
      while (decoding.hasContent(decoder)) frames.push(decoding.readVarUint8Array(decoder));
      // `inflight` calls at a time: above 1, events queue at the object as messages from a busy socket do.
      const inflight = Math.max(1, Number(new URL(request.url).searchParams.get("inflight") ?? 1));
      let next = 0;
      const lane = async () => {
        while (next < frames.length) await stub.benchEvent(step as EventStep, frames[next++]);
      };
      await Promise.all(Array.from({ length: inflight }, lane));
      return Response.json({ frames: frames.length });
    }
    if (!(STEPS as readonly string[]).includes(step)) return new Response("unknown step", { status: 400 });
    const stub = env.DOCUMENTS.getByName(docId) as unknown as DurableObjectStub<DocumentObject>;
    const frames = await stub.benchStep(docId, step as Step, new Uint8Array(await request.arrayBuffer()));
    return Response.json({ frames });
  },
} satisfies ExportedHandler<Env>;
