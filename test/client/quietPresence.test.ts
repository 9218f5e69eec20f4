// The SDK's presence is quiet: no renewals of an unchanged state (they would wake a hibernated
// document), remote states kept while connected, and renewals only in answer to a stock peer's.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import * as awarenessProtocol from "y-protocols/awareness";
import * as Y from "yjs";
import { ServerPresence } from "../../client/src/presence";
import { decodeAwarenessUpdate } from "../../src/protocol/awareness";
import { decodeMessage } from "../../src/protocol/messages";

const ORIGIN = "provider";

function setup() {
  const awareness = new awarenessProtocol.Awareness(new Y.Doc());
  const sent: { clientId: number; clock: number; state: string }[] = [];
  const presence = new ServerPresence(awareness, ORIGIN, (frame) => {
    const message = decodeMessage(frame);
    if (message.type === "awareness") sent.push(...decodeAwarenessUpdate(message.update));
  });
  return { awareness, presence, sent };
}

/** A peer's state as the server would relay it. */
function peerUpdate(peer: awarenessProtocol.Awareness): Uint8Array {
  return awarenessProtocol.encodeAwarenessUpdate(peer, [peer.clientID]);
}

describe("SDK presence", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  test("a change of the local state goes out; the Awareness class's 15 s renewals of it do not", () => {
    const { awareness, presence, sent } = setup();
    presence.connected();
    awareness.setLocalStateField("user", { name: "Ada" });
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(5 * 60_000);
    expect(sent).toHaveLength(1);
    awareness.setLocalStateField("cursor", 4);
    expect(sent).toHaveLength(2);
    presence.destroy();
    awareness.destroy();
  });

  test("remote states stay while the connection is up, however long they are quiet, and go when it is lost", () => {
    const { awareness, presence } = setup();
    const quietPeer = new awarenessProtocol.Awareness(new Y.Doc());
    quietPeer.setLocalStateField("user", { name: "Grace" });
    presence.connected();
    presence.applyFromServer(peerUpdate(quietPeer));
    const keepAlive = vi.spyOn(presence, "markPeersFresh");
    vi.advanceTimersByTime(10_000);
    expect(keepAlive).toHaveBeenCalledTimes(1); // every 10 s while connected
    // Make it look a minute quiet (the Awareness class drops states after 30 s; lib0 reads the real clock).
    awareness.meta.get(quietPeer.clientID)!.lastUpdated = Date.now() - 60_000;
    presence.markPeersFresh();
    vi.advanceTimersByTime(3_000); // the Awareness class's own check runs
    expect(awareness.getStates().has(quietPeer.clientID)).toBe(true);

    // Control: a state the server did not report (not a peer of this connection) is dropped as usual.
    const stranger = new awarenessProtocol.Awareness(new Y.Doc());
    stranger.setLocalStateField("user", { name: "Stranger" });
    awarenessProtocol.applyAwarenessUpdate(awareness, peerUpdate(stranger), "elsewhere");
    awareness.meta.get(stranger.clientID)!.lastUpdated = Date.now() - 60_000;
    vi.advanceTimersByTime(3_000);
    expect(awareness.getStates().has(stranger.clientID)).toBe(false);

    presence.forgetPeers();
    expect(awareness.getStates().has(quietPeer.clientID)).toBe(false);
    for (const instance of [presence, awareness, quietPeer, stranger]) instance.destroy();
  });

  test("a peer renewing an unchanged state (a stock client) gets ours renewed in answer, at most every 10 s", () => {
    const { awareness, presence, sent } = setup();
    presence.connected();
    awareness.setLocalStateField("user", { name: "Ada" });
    const stock = new awarenessProtocol.Awareness(new Y.Doc());
    stock.setLocalStateField("user", { name: "Stock" });
    presence.applyFromServer(peerUpdate(stock));
    expect(sent).toHaveLength(1); // a new peer, not a renewal

    vi.advanceTimersByTime(15_000);
    stock.setLocalState(stock.getLocalState()); // the stock peer renews: same state, next clock
    presence.applyFromServer(peerUpdate(stock));
    expect(sent).toHaveLength(2);
    expect(sent[1].clock).toBeGreaterThan(sent[0].clock); // a new clock, which stock peers accept
    expect(JSON.parse(sent[1].state)).toEqual({ user: { name: "Ada" } });

    stock.setLocalState(stock.getLocalState()); // another renewal at once: no second answer yet
    presence.applyFromServer(peerUpdate(stock));
    expect(sent).toHaveLength(2);
    presence.destroy();
    awareness.destroy();
    stock.destroy();
  });
});
