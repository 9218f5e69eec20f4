// Clients that write a little text and wait for Quire's acknowledgement of it (`ext=ack`: the ack
// follows the stored update), used to open many small documents and to edit an existing one.
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { WebSocket } from "ws";
import * as Y from "yjs";
import { TEXT } from "../throughput/trace.ts";
import type { QuireServer } from "./server.ts";

const SYNC = 0;
const STEP1 = 0;
const STEP2 = 1;
const UPDATE = 2;
const ACK = 100;
const ACK_REQUEST = 0;

const frame = (write: (encoder: encoding.Encoder) => void) => {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
};
const syncFrame = (subType: number, payload: Uint8Array) =>
  frame((e) => (encoding.writeVarUint(e, SYNC), encoding.writeVarUint(e, subType), encoding.writeVarUint8Array(e, payload)));
const ackRequest = (seq: number) => frame((e) => (encoding.writeVarUint(e, ACK), encoding.writeVarUint(e, ACK_REQUEST), encoding.writeVarUint(e, seq)));

/** One connection with its own Y.Doc; every wait has a deadline. */
export class AckClient {
  private readonly doc = new Y.Doc();
  private waiting: { type: number; subType: number; resolve: () => void } | null = null;
  private seq = 0;
  readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on("message", (data: Buffer) => this.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
  }

  /** Connects and syncs (the server's sync step 2 has arrived). */
  static async open(server: QuireServer, doc: string, timeoutMs = 60_000): Promise<AckClient> {
    const ws = new WebSocket(`${server.wsBase}/ws/${doc}?token=${await server.token(doc)}&ext=ack`, { perMessageDeflate: false });
    const client = new AckClient(ws);
    try {
      await deadline(
        new Promise<void>((resolve, reject) => {
          ws.once("error", reject);
          ws.once("open", () => {
            client.waiting = { type: SYNC, subType: STEP2, resolve };
            ws.send(syncFrame(STEP1, Y.encodeStateVector(client.doc)));
          });
        }),
        timeoutMs,
        `${doc}: no sync`,
      );
    } catch (error) {
      ws.terminate();
      throw error;
    }
    return client;
  }

  private receive(bytes: Uint8Array): void {
    const decoder = decoding.createDecoder(bytes);
    const type = decoding.readVarUint(decoder);
    const subType = decoding.readVarUint(decoder);
    if (type === SYNC) {
      const payload = decoding.readVarUint8Array(decoder);
      if (subType === STEP1) this.ws.send(syncFrame(STEP2, Y.encodeStateAsUpdate(this.doc, payload)));
      else Y.applyUpdate(this.doc, payload);
    }
    const waiting = this.waiting;
    if (waiting && waiting.type === type && waiting.subType === subType) {
      this.waiting = null;
      waiting.resolve();
    }
  }

  private until(type: number, subType: number, send: () => void, what: string, timeoutMs = 60_000): Promise<void> {
    return deadline(new Promise<void>((resolve) => ((this.waiting = { type, subType, resolve }), send())), timeoutMs, what);
  }

  /** Inserts `text` at the start and waits until the server acknowledges it (stored). */
  write(text: string): Promise<void> {
    const before = Y.encodeStateVector(this.doc);
    this.doc.getText(TEXT).insert(0, text);
    const update = Y.encodeStateAsUpdate(this.doc, before);
    return this.until(ACK, 1, () => (this.ws.send(syncFrame(UPDATE, update)), this.ws.send(ackRequest(++this.seq))), "no ack");
  }

  /** Sync step 1 and its answer: the document's object wakes and loads its Y.Doc. */
  touch(): Promise<void> {
    return this.until(SYNC, STEP2, () => this.ws.send(syncFrame(STEP1, Y.encodeStateVector(this.doc))), "no sync step 2");
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once("close", () => resolve());
      this.ws.close();
      setTimeout(() => (this.ws.terminate(), resolve()), 5000).unref();
    });
  }
}

function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs `task` over `items`, `parallel` at a time; on a failure, what was made so far is cleaned up. */
export async function inBatches<T, R>(items: T[], parallel: number, task: (item: T, index: number) => Promise<R>, cleanup?: (made: R[]) => Promise<void>): Promise<R[]> {
  const made: R[] = [];
  for (let i = 0; i < items.length; i += parallel) {
    const batch = await Promise.allSettled(items.slice(i, i + parallel).map((item, j) => task(item, i + j)));
    for (const result of batch) if (result.status === "fulfilled") made.push(result.value);
    const failed = batch.find((result) => result.status === "rejected");
    if (failed) {
      await cleanup?.(made);
      throw failed.reason;
    }
  }
  return made;
}

/** Opens a client on each document and writes a short text to it. */
export function openMany(server: QuireServer, names: string[], parallel: number): Promise<AckClient[]> {
  return inBatches(
    names,
    parallel,
    async (name, i) => {
      const client = await AckClient.open(server, name);
      await client.write(`document ${i}: a short text.`);
      return client;
    },
    closeAll,
  );
}

export async function closeAll(clients: AckClient[]): Promise<void> {
  await Promise.all(clients.map((client) => client.close()));
}
