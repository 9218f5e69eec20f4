// Crowd: many clients type into one document at once, each one character at a random position at a
// steady pace; relay latency at an observer that only reads (in a thread of its own, see
// ./crowdObserver.ts), and how long until every client has the same text.
import { Worker } from "node:worker_threads";
import * as Y from "yjs";
import type { RawClient } from "../client.ts";
import { type LatencySummary, summarize } from "../latency.ts";
import type { Target } from "../targets.ts";
import { TEXT } from "../trace.ts";
import { closeAll, connectMany } from "./connectMany.ts";
import type { ObserverCommand, ObserverMessage, ObserverSetup } from "./crowdObserver.ts";
import { sleep, Tally } from "./tally.ts";

export interface CrowdOptions {
  clients: number;
  intervalMs: number;
  seconds: number;
  /** How long after the last keystroke the clients may take to converge. */
  settleMs: number;
}

export interface CrowdResult {
  sent: number;
  /** Every keystroke as it reaches the observer, from send to integration. */
  observer: LatencySummary;
  /** Keystrokes integrated by the typists when the run ended, out of sent × (clients − 1). */
  delivered: number;
  expected: number;
  /** From the last keystroke until every client's text (the observer's too) was complete, ms; null if not within settleMs. */
  convergedMs: number | null;
  /** Typists with the complete text. */
  converged: number;
  /** Texts of equal length that differ: a convergence bug, never expected. */
  diverged: boolean;
  /** CPU the typists' thread used while typing, in cores (1 = one core busy). */
  harnessCores: number;
}

/** A seeded generator, so every server gets the same keystroke positions for the same text lengths. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How long a typist collects updates before applying them; convergence times carry this much slack. */
const BATCH_MS = 10;

/** CLOCK_MONOTONIC in ms, the clock the observer thread reports in. */
const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;

class Typist {
  readonly doc = new Y.Doc();
  readonly text = this.doc.getText(TEXT);
  client!: RawClient;
  typed = 0;
  onRemote: ((at: number) => void) | null = null;

  /**
   * Updates received and not yet applied. A typist applies what arrives within BATCH_MS in one
   * transaction: a hundred clients in one process would otherwise spend a core on Yjs'
   * per-transaction work (it walks the state vector of all hundred writers twice per transaction).
   */
  private pending: Uint8Array[] | null = null;

  /** Shared send times, ns: this typist's k-th keystroke, which carries clock k, at `first + k`. */
  private readonly sentAt: BigInt64Array;
  private readonly first: number;

  constructor(sentAt: BigInt64Array, first: number) {
    this.sentAt = sentAt;
    this.first = first;
  }

  readonly receive = (update: Uint8Array) => {
    if (this.pending === null) {
      this.pending = [];
      setTimeout(this.flush, BATCH_MS);
    }
    this.pending.push(update);
  };

  private readonly flush = () => {
    const updates = this.pending;
    this.pending = null;
    if (updates === null) return;
    this.doc.transact(() => updates.forEach((update) => Y.applyUpdate(this.doc, update)));
    this.onRemote?.(monotonicMs());
  };

  private readonly send = (update: Uint8Array) => this.client.sendFrame(this.client.codec.update(update));

  type(random: () => number, char: string): void {
    this.flush();
    Atomics.store(this.sentAt, this.first + this.typed++, process.hrtime.bigint());
    // Listening only around local edits: with an "update" listener attached, Yjs would also
    // re-encode every remote update the client applies, work no editor needs.
    this.doc.on("update", this.send);
    this.text.insert(Math.floor(random() * (this.text.length + 1)), char);
    this.doc.off("update", this.send);
  }
}

/** The observer thread: started connected, then complete (every keystroke arrived) and stopped with its latencies. */
class ObserverThread {
  /** When the observer had every keystroke, monotonic ms; null until then. */
  completedAt: number | null = null;
  private readonly worker: Worker;
  private readonly messages: ((message: ObserverMessage) => void)[] = [];
  private failure: Error | null = null;

  constructor(setup: ObserverSetup) {
    this.worker = new Worker(new URL("./crowdObserver.ts", import.meta.url), { workerData: setup });
    this.worker.on("message", (message: ObserverMessage) => {
      if (message.type === "complete") this.completedAt = Number(message.at) / 1e6;
      for (const listener of this.messages) listener(message);
    });
    this.worker.on("error", (error) => (this.failure = error));
  }

  private next(type: ObserverMessage["type"], timeoutMs: number): Promise<ObserverMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`crowd observer: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
      const onExit = () => done(this.failure ?? new Error(`crowd observer: exited before "${type}"`));
      const listener = (message: ObserverMessage) => message.type === type && done(null, message);
      const done = (error: Error | null, message?: ObserverMessage) => {
        clearTimeout(timer);
        this.messages.splice(this.messages.indexOf(listener), 1);
        this.worker.off("exit", onExit);
        if (error) reject(error);
        else resolve(message!);
      };
      this.messages.push(listener);
      this.worker.once("exit", onExit);
    });
  }

  ready(timeoutMs = 30_000): Promise<unknown> {
    return this.next("ready", timeoutMs);
  }

  /** Closes the observer's socket and returns its latencies, ms. */
  async stop(): Promise<Float64Array> {
    const reply = this.next("latencies", 30_000);
    this.worker.postMessage({ type: "stop" } satisfies ObserverCommand);
    const message = await reply;
    return message.type === "latencies" ? message.latencies : new Float64Array();
  }

  /** Ends the thread, whatever state it is in. */
  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/** Runs the crowd against one document; every socket is closed at the end, converged or not. */
export async function crowd(target: Target, docName: string, options: CrowdOptions): Promise<CrowdResult> {
  const perTypist = Math.floor((options.seconds * 1000) / options.intervalMs);
  const sentAt = new BigInt64Array(new SharedArrayBuffer(options.clients * perTypist * BigInt64Array.BYTES_PER_ELEMENT));
  const typists = Array.from({ length: options.clients }, (_, i) => new Typist(sentAt, i * perTypist));
  const total = perTypist * options.clients;
  let clients: RawClient[] = [];
  const observer = new ObserverThread({
    url: await target.url(docName),
    dialect: target.dialect,
    docName,
    clientIds: typists.map((t) => t.doc.clientID),
    perTypist,
    sentAt: sentAt.buffer as SharedArrayBuffer,
    total,
  });
  try {
    await observer.ready();
    // Every client is a user of its own (for Quire, its own token), as in an application.
    clients = await connectMany(typists.length, async (i) => ({ url: await target.url(docName), dialect: target.dialect, docName, doc: typists[i].doc, onUpdate: typists[i].receive }));
    clients.forEach((client, i) => (typists[i].client = client));
    const random = mulberry32(0xb4);
    const sends: { at: number; typist: Typist }[] = [];
    for (let k = 0; k < perTypist; k++) typists.forEach((typist, i) => sends.push({ at: (k + i / typists.length) * options.intervalMs, typist }));
    const cpuBefore = process.threadCpuUsage();
    const started = performance.now();
    for (const [n, send] of sends.entries()) {
      const wait = started + send.at - performance.now();
      if (wait > 1) await sleep(wait);
      send.typist.type(random, String.fromCharCode(97 + (n % 26)));
    }
    const lastKeystroke = monotonicMs();
    const cpu = process.threadCpuUsage(cpuBefore);
    const harnessCores = (cpu.user + cpu.system) / 1000 / (performance.now() - started);
    const typistsDone = await converge(typists, total, lastKeystroke, options.settleMs);
    const observerDone = await waitFor(() => observer.completedAt !== null, lastKeystroke + options.settleMs - monotonicMs());
    const convergedMs = typistsDone !== null && observerDone ? Math.max(typistsDone, observer.completedAt!) - lastKeystroke : null;
    const latencies = await observer.stop();
    const delivered = typists.reduce((n, t) => n + t.text.length - t.typed, 0);
    const complete = typists.filter((t) => t.text.length === total);
    const diverged = complete.some((t) => t.text.toString() !== complete[0].text.toString());
    return {
      sent: total,
      observer: summarize(latencies, total),
      delivered,
      expected: total * (typists.length - 1),
      convergedMs,
      converged: complete.length,
      diverged,
      harnessCores,
    };
  } finally {
    closeAll(clients);
    await observer.terminate();
  }
}

/** Resolves true once `done()` holds, polling every 10 ms; false after `timeoutMs`. */
async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = monotonicMs() + timeoutMs;
  while (!done()) {
    if (monotonicMs() > deadline) return false;
    await sleep(10);
  }
  return true;
}

/** Waits until every typist has all `total` keystrokes (they only insert, so length tells); monotonic ms when the last did, or null. */
async function converge(typists: Typist[], total: number, since: number, settleMs: number): Promise<number | null> {
  const done = new Tally();
  let last = since;
  typists.forEach((typist) => {
    const check = (at: number) => {
      if (typist.text.length !== total) return;
      typist.onRemote = null;
      last = Math.max(last, at);
      done.add();
    };
    typist.onRemote = check;
    check(since);
  });
  return (await done.reach(typists.length, settleMs)) ? last : null;
}
