// A raw protocol client for integration tests inside workerd: real WebSockets through the Worker.
import { env, exports } from "cloudflare:workers";
import * as Y from "yjs";
import { type Access, signToken } from "../../src/auth/tokens";
import { decodeMessage, encodeSyncStep1, encodeUpdate, type Message } from "../../src/protocol/messages";

export async function tokenFor(docId: string, access: Access = "write", userId = `user-${access}`, ttlSeconds = 600): Promise<string> {
  return (await signToken(env.AUTH_SECRET!, { sub: userId, doc: docId, access }, ttlSeconds)).token;
}

export const uniqueDocId = (label: string) => `${label}-${crypto.randomUUID()}`;

export const stubFor = (docId: string) => env.DOCUMENTS.getByName(docId);

/** A connected raw client that records every message and the close event. */
export class RawClient {
  readonly messages: Message[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private closedWith: { code: number; reason: string } | null = null;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.accept();
    // Recent compatibility dates deliver binary messages as Blob unless asked otherwise.
    (ws as unknown as { binaryType: string }).binaryType = "arraybuffer";
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", (event) => {
        this.closedWith = { code: event.code, reason: event.reason };
        resolve(this.closedWith);
        this.notify();
      });
    });
    ws.addEventListener("message", (event) => {
      if (typeof event.data === "string") return;
      this.messages.push(decodeMessage(new Uint8Array(event.data as ArrayBuffer)));
      this.notify();
    });
  }

  static async connect(docId: string, options: { access?: Access; ext?: string; token?: string } = {}): Promise<RawClient> {
    const token = options.token ?? (await tokenFor(docId, options.access ?? "write"));
    const ext = options.ext ? `&ext=${options.ext}` : "";
    const response = await exports.default.fetch(`http://quire.test/ws/${docId}?token=${token}${ext}`, { headers: { Upgrade: "websocket" } });
    if (!response.webSocket) throw new Error(`upgrade refused: ${response.status} ${await response.text()}`);
    return new RawClient(response.webSocket);
  }

  send(frame: Uint8Array | string): void {
    this.ws.send(frame);
  }

  sendUpdate(update: Uint8Array): void {
    this.send(encodeUpdate(update));
  }

  /** Resolves with the first recorded message matching `predicate`, waiting up to `timeoutMs`. */
  async waitFor<T extends Message["type"]>(type: T, predicate: (m: Extract<Message, { type: T }>) => boolean = () => true, timeoutMs = 5000): Promise<Extract<Message, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find((m): m is Extract<Message, { type: T }> => m.type === type && predicate(m as Extract<Message, { type: T }>));
      if (found) return found;
      if (Date.now() > deadline) {
        const closed = this.closedWith ? `; closed with ${this.closedWith.code} ${this.closedWith.reason}` : "";
        throw new Error(`timed out waiting for ${type}; got ${this.messages.map((m) => m.type).join(", ")}${closed}`);
      }
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Syncs a fresh Y.Doc from the server with sync step 1 and returns it. */
  async fetchDoc(): Promise<Y.Doc> {
    const doc = new Y.Doc();
    const before = this.messages.length;
    this.send(encodeSyncStep1(Y.encodeStateVector(doc)));
    await this.waitFor("sync-step2", (m) => this.messages.indexOf(m) >= before);
    const reply = this.messages.slice(before).find((m) => m.type === "sync-step2") as Extract<Message, { type: "sync-step2" }>;
    Y.applyUpdate(doc, reply.update);
    return doc;
  }

  close(): void {
    this.ws.close(1000, "done");
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** One update that inserts `text` into the Y.Text named "text" of a fresh client doc. */
export function textUpdate(text: string, doc = new Y.Doc()): Uint8Array {
  let update: Uint8Array | null = null;
  doc.once("update", (u: Uint8Array) => (update = u));
  doc.getText("text").insert(0, text);
  return update!;
}
