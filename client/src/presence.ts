// Presence over the server connection, quiet enough that an idle document can hibernate.
//
// The y-protocols Awareness class re-sends an unchanged local state every 15 s and drops a remote
// state not renewed for 30 s; relayed by the server, each renewal would wake the document. So only
// changes of our own state go out (liveness is the runtime-answered heartbeat), and the remote
// states learned from the server stay alive for as long as this connection is up: the server says
// when a client leaves. Stock clients still drop states not renewed for 30 s, so when one renews
// its own (it has woken the document anyway), we renew ours in answer.
import * as awarenessProtocol from "y-protocols/awareness";
import { encodeAwareness } from "../../src/protocol/messages";

type AwarenessChange = { added: number[]; updated: number[]; removed: number[] };

/** How often remote states are marked fresh, well inside the Awareness class's 30 s timeout. */
const KEEP_ALIVE_MS = 10_000;
/** Our state is renewed for a renewing (stock) peer only if it went out longer ago than this. */
const RENEW_AFTER_MS = 10_000;

export class ServerPresence {
  private readonly peers = new Set<number>();
  private stateBeforeHide: Record<string, unknown> | null = null;
  /** Remote ids whose state changed in the awareness update being applied (emitted before "update"). */
  private changedNow = new Set<number>();
  private lastSentAt = 0;
  private keepAlive: ReturnType<typeof setInterval> | null = null;

  /**
   * @param origin the transaction origin of states applied from the server (the provider)
   * @param send sends a frame when the connection is open, and drops it otherwise
   */
  constructor(
    readonly awareness: awarenessProtocol.Awareness,
    private readonly origin: unknown,
    private readonly send: (frame: Uint8Array) => void,
  ) {
    awareness.on("change", this.onChange);
    awareness.on("update", this.onUpdate);
  }

  destroy(): void {
    this.stopKeepAlive();
    this.awareness.off("change", this.onChange);
    this.awareness.off("update", this.onUpdate);
  }

  /** Our own state as a frame, or null when we have none (a new connection sends it). */
  localFrame(): Uint8Array | null {
    return this.awareness.getLocalState() === null ? null : this.ownStateFrame();
  }

  applyFromServer(update: Uint8Array): void {
    this.changedNow.clear();
    awarenessProtocol.applyAwarenessUpdate(this.awareness, update, this.origin);
  }

  /** The connection is up: keep the peers it reports alive until it says they left. */
  connected(): void {
    this.stopKeepAlive();
    this.keepAlive = setInterval(() => this.markPeersFresh(), KEEP_ALIVE_MS);
  }

  /** The connection is gone: its peers' cursors must not linger. */
  forgetPeers(): void {
    this.stopKeepAlive();
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

  private readonly onChange = (change: AwarenessChange, origin: unknown) => {
    if (origin === this.origin) {
      for (const id of [...change.added, ...change.updated, ...change.removed]) this.changedNow.add(id);
      return;
    }
    // Our own state changed (the Awareness class's 15 s renewals are "update" events only).
    const changed = [...change.added, ...change.updated, ...change.removed];
    if (changed.includes(this.awareness.clientID)) this.sendOwnState();
  };

  private readonly onUpdate = (change: AwarenessChange, origin: unknown) => {
    if (origin !== this.origin) return;
    for (const id of [...change.added, ...change.updated]) this.peers.add(id);
    for (const id of change.removed) this.peers.delete(id);
    // A peer renewed an unchanged state: a stock client, which will drop ours 30 s after it last
    // heard it. Answer while the document is awake for its message anyway.
    const renewed = change.updated.some((id) => id !== this.awareness.clientID && !this.changedNow.has(id));
    if (renewed && this.awareness.getLocalState() !== null && Date.now() - this.lastSentAt > RENEW_AFTER_MS) {
      this.awareness.setLocalState(this.awareness.getLocalState()); // a new clock, so stock peers take it
      this.sendOwnState();
    }
  };

  /** Resets the Awareness class's timeout for every peer the server told us about (every KEEP_ALIVE_MS while connected). */
  markPeersFresh(): void {
    const now = Date.now();
    for (const id of this.peers) {
      const meta = this.awareness.meta.get(id);
      if (meta && this.awareness.states.has(id)) meta.lastUpdated = now;
    }
  }

  private stopKeepAlive(): void {
    if (this.keepAlive !== null) clearInterval(this.keepAlive);
    this.keepAlive = null;
  }

  private sendOwnState(): void {
    this.lastSentAt = Date.now();
    this.send(this.ownStateFrame());
  }

  /** Our state at its current clock; a null state tells peers we left. */
  private ownStateFrame(): Uint8Array {
    return encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.awareness.clientID]));
  }
}
