// The crowd's observer: one more client, which only reads, in a worker thread of its own. The
// hundred typists share one isolate whose heap grows by hundreds of megabytes of Yjs items during a
// run; its major collections stalled their event loop for up to 0.8 s, and an observer among them
// timed those stalls, whichever server was running. Here the observer has its own isolate and event
// loop, so what it measures is the server and the network, not the typists' garbage collector.
//
// Send times cross threads through shared memory as CLOCK_MONOTONIC nanoseconds
// (process.hrtime.bigint()), one clock for every thread of the process.
import { parentPort, workerData } from "node:worker_threads";
import * as Y from "yjs";
import { encodePresence } from "../awareness.ts";
import { connect, type Dialect } from "../client.ts";
import { TEXT } from "../trace.ts";

export interface ObserverSetup {
  url: string;
  dialect: Dialect;
  docName: string;
  /** Each typist's Yjs client id, in typist order. */
  clientIds: number[];
  /** Keystrokes per typist: typist j's k-th send time is at index j * perTypist + k. */
  perTypist: number;
  /** BigInt64Array over this: send times, ns, written by the typists before each send. */
  sentAt: SharedArrayBuffer;
  /** Keystrokes in the whole run: the observer is complete once its text is this long. */
  total: number;
}

export type ObserverMessage =
  | { type: "ready" }
  /** The observer's text holds every keystroke; `at` in ns of process.hrtime.bigint(). */
  | { type: "complete"; at: bigint }
  | { type: "latencies"; latencies: Float64Array };

/**
 * As the stock provider does, the observer renews its presence this often: a client that sends
 * nothing at all looks like a vanished one (Quire closes those after 30 s of silence).
 */
const PRESENCE_RENEWAL_MS = 15_000;

/** What the main thread sends: stop, close the socket, and report the latencies. */
export type ObserverCommand = { type: "stop" };

const setup = workerData as ObserverSetup;
const port = parentPort!;
const sentAt = new BigInt64Array(setup.sentAt);
const doc = new Y.Doc();
const text = doc.getText(TEXT);
const latencies: number[] = [];
const seen = setup.clientIds.map(() => 0);
let complete = false;

const onUpdate = (update: Uint8Array) => {
  const at = process.hrtime.bigint();
  Y.applyUpdate(doc, update);
  setup.clientIds.forEach((clientId, j) => {
    const clock = Y.getState(doc.store, clientId);
    for (; seen[j] < clock; seen[j]++) latencies.push(Number(at - Atomics.load(sentAt, j * setup.perTypist + seen[j])) / 1e6);
  });
  if (!complete && text.length === setup.total) {
    complete = true;
    port.postMessage({ type: "complete", at } satisfies ObserverMessage);
  }
};

const client = await connect({ url: setup.url, dialect: setup.dialect, docName: setup.docName, doc, onUpdate });
let presenceClock = 0;
const renewPresence = () => client.sendFrame(client.codec.awareness(encodePresence(doc.clientID, presenceClock++, { observer: true })));
renewPresence();
const renewal = setInterval(renewPresence, PRESENCE_RENEWAL_MS);
port.on("message", (command: ObserverCommand) => {
  if (command.type !== "stop") return;
  clearInterval(renewal);
  client.close();
  port.postMessage({ type: "latencies", latencies: Float64Array.from(latencies) } satisfies ObserverMessage);
  port.close();
});
port.postMessage({ type: "ready" } satisfies ObserverMessage);
