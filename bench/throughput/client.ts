// A minimal y-protocols client over `ws`, used identically against every server. It speaks plain
// y-websocket frames, or Hocuspocus's variant of them (each frame prefixed with the document name,
// an auth frame first), so every server receives the same Yjs payloads and clients do the same work.
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { WebSocket } from "ws";
import * as Y from "yjs";

export type Dialect = "y-websocket" | "hocuspocus";

const SYNC = 0;
const AWARENESS = 1;
const AUTH = 2;
const SYNC_REPLY = 4; // Hocuspocus: a sync message that must not trigger another step 1
const STEP1 = 0;
const STEP2 = 1;
const UPDATE = 2;
const AUTH_TOKEN = 0;
const AUTH_DENIED = 1;
const CLOSE_GRACE_MS = 2000;

/** Builds frames in one dialect for one document. */
export class FrameCodec {
  readonly dialect: Dialect;
  readonly docName: string;

  constructor(dialect: Dialect, docName: string) {
    this.dialect = dialect;
    this.docName = docName;
  }

  private frame(write: (encoder: encoding.Encoder) => void): Uint8Array {
    const encoder = encoding.createEncoder();
    if (this.dialect === "hocuspocus") encoding.writeVarString(encoder, this.docName);
    write(encoder);
    return encoding.toUint8Array(encoder);
  }

  sync(subType: number, payload: Uint8Array): Uint8Array {
    return this.frame((encoder) => {
      encoding.writeVarUint(encoder, SYNC);
      encoding.writeVarUint(encoder, subType);
      encoding.writeVarUint8Array(encoder, payload);
    });
  }

  update(update: Uint8Array): Uint8Array {
    return this.sync(UPDATE, update);
  }

  /** An awareness frame around an update in the y-protocols awareness encoding. */
  awareness(update: Uint8Array): Uint8Array {
    return this.frame((encoder) => {
      encoding.writeVarUint(encoder, AWARENESS);
      encoding.writeVarUint8Array(encoder, update);
    });
  }

  auth(token: string): Uint8Array {
    return this.frame((encoder) => {
      encoding.writeVarUint(encoder, AUTH);
      encoding.writeVarUint(encoder, AUTH_TOKEN);
      encoding.writeVarString(encoder, token);
    });
  }
}

export interface ClientOptions {
  url: string;
  dialect: Dialect;
  docName: string;
  /** Incoming document changes (sync step 2 and update payloads), with their arrival time. */
  onUpdate?: (update: Uint8Array, at: number) => void;
  /** Incoming awareness updates (the payload of awareness frames), with their arrival time. */
  onAwareness?: (update: Uint8Array, at: number) => void;
  /** A Y.Doc the client keeps in step (answers the server's step 1 from it); none for a pure sender. */
  doc?: Y.Doc;
}

/** One connection: connects, runs the sync handshake, then sends and receives update frames. */
export class RawClient {
  readonly codec: FrameCodec;
  private ws!: WebSocket;
  private syncedResolve!: () => void;
  private failed: ((error: Error) => void) | null = null;
  /** Resolves on the first sync step 2 from the server, like the stock provider's `synced`. */
  readonly synced: Promise<void>;
  closed = false;
  private closing = false;
  private readonly options: ClientOptions;

  constructor(options: ClientOptions) {
    this.options = options;
    this.codec = new FrameCodec(options.dialect, options.docName);
    this.synced = new Promise((resolve, reject) => {
      this.syncedResolve = resolve;
      this.failed = reject;
    });
    this.synced.catch(() => undefined);
  }

  /** Opens the socket and sends the opening frames; resolve `synced` for the server's answer. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.options.url, { perMessageDeflate: false });
      this.ws = ws;
      ws.binaryType = "nodebuffer";
      ws.once("open", () => {
        if (this.options.dialect === "hocuspocus") ws.send(this.codec.auth(""));
        ws.send(this.codec.sync(STEP1, Y.encodeStateVector(this.options.doc ?? new Y.Doc())));
        resolve();
      });
      ws.on("error", (error) => {
        reject(error);
        this.failed?.(error);
      });
      ws.on("close", (code, reason) => {
        this.closed = true;
        this.failed?.(new Error(`closed ${code} ${reason.toString()}`));
      });
      ws.on("message", (data: Buffer) => this.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
    });
  }

  private receive(frame: Uint8Array): void {
    if (this.closing) return;
    const at = performance.now();
    const decoder = decoding.createDecoder(frame);
    if (this.options.dialect === "hocuspocus") decoding.readVarString(decoder);
    const type = decoding.readVarUint(decoder);
    if (type === AUTH) {
      if (decoding.readVarUint(decoder) === AUTH_DENIED) this.failed?.(new Error(`permission denied: ${decoding.readVarString(decoder)}`));
      return;
    }
    if (type === AWARENESS) {
      this.options.onAwareness?.(decoding.readVarUint8Array(decoder), at);
      return;
    }
    if (type !== SYNC && type !== SYNC_REPLY) return; // Hocuspocus sync status, ...
    const subType = decoding.readVarUint(decoder);
    const payload = decoding.readVarUint8Array(decoder);
    if (subType === STEP1) {
      const answer = this.options.doc ? Y.encodeStateAsUpdate(this.options.doc, payload) : Y.encodeStateAsUpdate(new Y.Doc());
      this.ws.send(this.codec.sync(STEP2, answer));
      return;
    }
    this.options.onUpdate?.(payload, at);
    if (subType === STEP2) {
      this.failed = null;
      this.syncedResolve();
    }
  }

  /** Sends a prebuilt frame (see `codec`). */
  sendFrame(frame: Uint8Array): void {
    this.ws.send(frame);
  }

  /** Bytes queued in the socket but not yet written to the network. */
  get buffered(): number {
    return this.ws.bufferedAmount;
  }

  /** Closes the socket and ignores whatever still arrives on it. */
  close(): void {
    this.failed = null;
    this.closing = true;
    const ws = this.ws;
    if (ws && ws.readyState <= WebSocket.OPEN) {
      ws.close();
      // A lagging server may take long to answer the closing handshake: drop the socket anyway.
      setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
    }
  }
}

/** Opens a client and waits for its first sync step 2. */
export async function connect(options: ClientOptions, timeoutMs = 30_000): Promise<RawClient> {
  const client = new RawClient(options);
  await client.open();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no sync step 2 from ${options.url} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.synced, timeout]);
  } catch (error) {
    client.close();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return client;
}
