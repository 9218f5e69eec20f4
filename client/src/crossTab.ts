// Syncs a document and presence between tabs of the same browser through BroadcastChannel, so tabs
// stay in step even when the server is out of reach.
import * as awarenessProtocol from "y-protocols/awareness";
import * as Y from "yjs";
import { decodeMessage, encodeAwareness, encodeQueryAwareness, encodeSyncStep1, encodeSyncStep2, encodeUpdate } from "../../src/protocol/messages";

export class CrossTabSync {
  private readonly channel: BroadcastChannel;

  constructor(
    name: string,
    private readonly doc: Y.Doc,
    private readonly awareness: awarenessProtocol.Awareness,
    /** Updates from this origin (the server connection) reach every tab on their own. */
    private readonly serverOrigin: unknown,
  ) {
    this.channel = new BroadcastChannel(name);
    this.channel.onmessage = (event: MessageEvent) => this.receive(event.data);
    doc.on("update", this.onDocUpdate);
    awareness.on("update", this.onAwarenessUpdate);
    // Tabs that are already open answer with what we lack; ours goes to them in full.
    this.post(encodeSyncStep1(Y.encodeStateVector(doc)));
    this.post(encodeSyncStep2(Y.encodeStateAsUpdate(doc)));
    this.post(encodeQueryAwareness());
    if (awareness.getLocalState() !== null) this.postLocalPresence();
  }

  destroy(): void {
    this.doc.off("update", this.onDocUpdate);
    this.awareness.off("update", this.onAwarenessUpdate);
    this.channel.close();
  }

  private readonly onDocUpdate = (update: Uint8Array, origin: unknown) => {
    if (origin !== this && origin !== this.serverOrigin) this.post(encodeUpdate(update));
  };

  private readonly onAwarenessUpdate = (change: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
    if (origin === this) return;
    const changed = [...change.added, ...change.updated, ...change.removed];
    if (changed.includes(this.doc.clientID)) this.postLocalPresence();
  };

  private postLocalPresence(): void {
    this.post(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.doc.clientID])));
  }

  private post(frame: Uint8Array): void {
    this.channel.postMessage(frame);
  }

  private receive(data: unknown): void {
    if (!(data instanceof Uint8Array)) return;
    let message: ReturnType<typeof decodeMessage>;
    try {
      message = decodeMessage(data);
    } catch {
      return;
    }
    switch (message.type) {
      case "sync-step1":
        this.post(encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, message.stateVector)));
        return;
      case "sync-step2":
      case "update":
        Y.applyUpdate(this.doc, message.update, this);
        return;
      case "awareness":
        awarenessProtocol.applyAwarenessUpdate(this.awareness, message.update, this);
        return;
      case "query-awareness":
        if (this.awareness.getLocalState() !== null) this.postLocalPresence();
        return;
    }
  }
}
