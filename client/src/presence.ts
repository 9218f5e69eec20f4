// Presence over the server connection: only our own awareness state goes out (the server
// attributes every state a connection sends to it), and peers learned from the server are dropped
// when the connection is lost.
import * as awarenessProtocol from "y-protocols/awareness";
import { encodeAwareness } from "../../src/protocol/messages";

type AwarenessChange = { added: number[]; updated: number[]; removed: number[] };

export class ServerPresence {
  private readonly peers = new Set<number>();
  private stateBeforeHide: Record<string, unknown> | null = null;

  /**
   * @param origin the transaction origin of states applied from the server (the provider)
   * @param send sends a frame when the connection is open, and drops it otherwise
   */
  constructor(
    readonly awareness: awarenessProtocol.Awareness,
    private readonly origin: unknown,
    private readonly send: (frame: Uint8Array) => void,
  ) {
    awareness.on("update", this.onUpdate);
  }

  destroy(): void {
    this.awareness.off("update", this.onUpdate);
  }

  /** Our own state as a frame, or null when we have none (a new connection sends it). */
  localFrame(): Uint8Array | null {
    return this.awareness.getLocalState() === null ? null : this.ownStateFrame();
  }

  applyFromServer(update: Uint8Array): void {
    awarenessProtocol.applyAwarenessUpdate(this.awareness, update, this.origin);
  }

  /** The connection is gone: its peers' cursors must not linger. */
  forgetPeers(): void {
    const peers = [...this.peers].filter((id) => id !== this.awareness.clientID);
    this.peers.clear();
    if (peers.length > 0) awarenessProtocol.removeAwarenessStates(this.awareness, peers, this.origin);
  }

  /** Leaving the page (or entering the back-forward cache): peers must drop our cursor now. */
  hide(): void {
    this.stateBeforeHide = this.awareness.getLocalState();
    awarenessProtocol.removeAwarenessStates(this.awareness, [this.awareness.clientID], "pagehide");
  }

  /** Back from the back-forward cache: the state cleared on hide comes back. */
  show(restored: boolean): void {
    if (restored && this.stateBeforeHide) this.awareness.setLocalState(this.stateBeforeHide);
    this.stateBeforeHide = null;
  }

  private readonly onUpdate = (change: AwarenessChange, origin: unknown) => {
    if (origin === this.origin) {
      for (const id of [...change.added, ...change.updated]) this.peers.add(id);
      for (const id of change.removed) this.peers.delete(id);
      return;
    }
    const changed = [...change.added, ...change.updated, ...change.removed];
    if (changed.includes(this.awareness.clientID)) this.send(this.ownStateFrame());
  };

  /** Our state at its current clock; a null state tells peers we left. */
  private ownStateFrame(): Uint8Array {
    return encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.awareness.clientID]));
  }
}
