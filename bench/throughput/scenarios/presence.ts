// Presence fan-out: many clients on one document each move a cursor a few times a second; every
// awareness update carries its send time, and every other client times its arrival.
import { decodePresence, encodePresence } from "../awareness.ts";
import type { RawClient } from "../client.ts";
import { type LatencySummary, summarize } from "../latency.ts";
import type { Target } from "../targets.ts";
import { closeAll, connectMany } from "./connectMany.ts";
import { sleep, Tally } from "./tally.ts";

const DRAIN_MS = 10_000;

export interface PresenceResult extends LatencySummary {
  /** Awareness updates sent. */
  sent: number;
  /** Copies of a client's own update relayed back to it (the servers here relay awareness to the sender too). */
  echoes: number;
}

/** A cursor state of the size editors send: user, colour and two relative positions. */
function cursorState(index: number, clientID: number, clock: number, sentAt: number) {
  const position = (offset: number) => ({ type: null, tname: "text", item: { client: clientID, clock: clock * 7 + offset }, assoc: 0 });
  return { user: { name: `bench user ${index}`, color: `#${((index * 2654435761) >>> 8).toString(16).padStart(6, "0").slice(0, 6)}` }, cursor: { anchor: position(0), head: position(3) }, sentAt };
}

/**
 * `clientCount` clients each send `rate` awareness updates per second for `seconds`, with phases
 * spread evenly; latency is measured from send to receipt at each of the other clients.
 */
export async function presence(target: Target, docName: string, clientCount: number, rate: number, seconds: number): Promise<PresenceResult> {
  const ids = Array.from({ length: clientCount }, (_, i) => 0x10000000 + ((Date.now() * 131 + i * 7919) % 0x0fffffff));
  const owner = new Map(ids.map((id, i) => [id, i]));
  const latencies: number[] = [];
  const arrivals = new Tally();
  let echoes = 0;
  const onAwarenessOf = (receiver: number) => (update: Uint8Array, at: number) => {
    for (const entry of decodePresence(update)) {
      const sender = owner.get(entry.clientID);
      if (sender === undefined || entry.state === "null") continue;
      if (sender === receiver) {
        echoes++;
        continue;
      }
      latencies.push(at - (JSON.parse(entry.state) as { sentAt: number }).sentAt);
      arrivals.add();
    }
  };
  let clients: RawClient[] = [];
  try {
    // Every client is a user of its own (for Quire, its own token), as in an application.
    clients = await connectMany(clientCount, async (i) => ({ url: await target.url(docName), dialect: target.dialect, docName, onAwareness: onAwarenessOf(i) }));
    const perClient = Math.round(rate * seconds);
    const sends: { at: number; client: number; clock: number }[] = [];
    for (let clock = 1; clock <= perClient; clock++) {
      for (let i = 0; i < clientCount; i++) sends.push({ at: ((clock - 1 + i / clientCount) * 1000) / rate, client: i, clock });
    }
    const started = performance.now();
    for (const send of sends) {
      const wait = started + send.at - performance.now();
      if (wait > 1) await sleep(wait);
      const state = cursorState(send.client, ids[send.client], send.clock, performance.now());
      const client = clients[send.client];
      client.sendFrame(client.codec.awareness(encodePresence(ids[send.client], send.clock, state)));
    }
    const expected = sends.length * (clientCount - 1);
    await arrivals.reach(expected, DRAIN_MS);
    return { ...summarize(latencies, expected), sent: sends.length, echoes };
  } finally {
    closeAll(clients);
  }
}
