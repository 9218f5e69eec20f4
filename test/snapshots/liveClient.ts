// A live Yjs client over a real WebSocket through the Worker: it applies what the server sends and
// sends its own edits, like a provider, so tests can watch several clients converge.
import * as Y from "yjs";
import { encodeSyncStep1 } from "../../src/protocol/messages";
import { RawClient } from "../helpers/workerClient";

export class LiveClient {
  readonly doc = new Y.Doc();
  private applied = 0;

  private constructor(readonly raw: RawClient) {
    this.doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin !== this) raw.sendUpdate(update);
    });
  }

  static async connect(docId: string): Promise<LiveClient> {
    const client = new LiveClient(await RawClient.connect(docId));
    client.raw.send(encodeSyncStep1(Y.encodeStateVector(client.doc)));
    await client.raw.waitFor("sync-step2");
    client.catchUp();
    return client;
  }

  /** Applies every update received so far. */
  catchUp(): void {
    for (; this.applied < this.raw.messages.length; this.applied++) {
      const message = this.raw.messages[this.applied];
      if (message.type === "update" || message.type === "sync-step2") Y.applyUpdate(this.doc, message.update, this);
    }
  }

  /** Waits until `check` holds on this client's document (applying updates as they come). */
  async until(check: (doc: Y.Doc) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.catchUp();
      if (check(this.doc)) return;
      if (Date.now() > deadline) throw new Error("the client did not reach the expected state in time");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): void {
    this.raw.close();
  }
}
