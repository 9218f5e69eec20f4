// Crowd: many clients type into one document at once, each one character at a random position at a
// steady pace; relay latency at one observer, and how long until every client has the same text.
import * as Y from "yjs";
import type { RawClient } from "../client.ts";
import { type LatencySummary, summarize } from "../latency.ts";
import type { Target } from "../targets.ts";
import { TEXT } from "../trace.ts";
import { closeAll, connectMany } from "./connectMany.ts";
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
  /** Other clients' keystrokes as they reach the observer (client 0), from send to integration. */
  observer: LatencySummary;
  /** Keystrokes integrated by all clients when the run ended, out of sent × (clients − 1). */
  delivered: number;
  expected: number;
  /** From the last keystroke until every client's text was complete and equal, ms; null if not within settleMs. */
  convergedMs: number | null;
  converged: number;
  /** Texts of equal length that differ: a convergence bug, never expected. */
  diverged: boolean;
  /** CPU the benchmark process itself used while typing, in cores (1 = one core busy). */
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

/** How long a batched client collects updates before applying them; convergence times carry this much slack. */
const BATCH_MS = 10;

class Typist {
  readonly doc = new Y.Doc();
  readonly text = this.doc.getText(TEXT);
  /** Send time of this client's k-th keystroke, which carries clock k. */
  readonly sentAt: Float64Array;
  client!: RawClient;
  typed = 0;
  onRemote: ((at: number) => void) | null = null;

  /** Updates received and not yet applied, for a client that applies them in batches. */
  private pending: Uint8Array[] | null = null;

  /**
   * `batched`: apply what arrives within BATCH_MS in one transaction. A hundred clients in one
   * process would otherwise spend a core on Yjs' per-transaction work (it walks the state vector of
   * all hundred writers twice per transaction) and become the bottleneck; the observer applies
   * every update at once, so its latencies stay exact.
   */
  private readonly batched: boolean;

  constructor(keystrokes: number, batched: boolean) {
    this.sentAt = new Float64Array(keystrokes).fill(Number.NaN);
    this.batched = batched;
  }

  readonly receive = (update: Uint8Array, at: number) => {
    if (!this.batched) {
      Y.applyUpdate(this.doc, update);
      this.onRemote?.(at);
      return;
    }
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
    this.onRemote?.(performance.now());
  };

  private readonly send = (update: Uint8Array) => this.client.sendFrame(this.client.codec.update(update));

  type(random: () => number, char: string): void {
    this.flush();
    this.sentAt[this.typed++] = performance.now();
    // Listening only around local edits: with an "update" listener attached, Yjs would also
    // re-encode every remote update the client applies, work no editor needs.
    this.doc.on("update", this.send);
    this.text.insert(Math.floor(random() * (this.text.length + 1)), char);
    this.doc.off("update", this.send);
  }
}

/** Times, at `observer`, each keystroke of the others as it becomes part of the observer's document. */
function observe(observer: Typist, typists: Typist[], latencies: number[]): void {
  const others = typists.filter((t) => t !== observer);
  const seen = others.map(() => 0);
  observer.onRemote = (at) => {
    others.forEach((typist, j) => {
      const clock = Y.getState(observer.doc.store, typist.doc.clientID);
      for (; seen[j] < clock; seen[j]++) latencies.push(at - typist.sentAt[seen[j]]);
    });
  };
}

/** Runs the crowd against one document; every socket is closed at the end, converged or not. */
export async function crowd(target: Target, docName: string, options: CrowdOptions): Promise<CrowdResult> {
  const perClient = Math.floor((options.seconds * 1000) / options.intervalMs);
  const typists = Array.from({ length: options.clients }, (_, i) => new Typist(perClient, i > 0));
  const latencies: number[] = [];
  observe(typists[0], typists, latencies);
  let clients: RawClient[] = [];
  try {
    // Every client is a user of its own (for Quire, its own token), as in an application.
    clients = await connectMany(typists.length, async (i) => ({ url: await target.url(docName), dialect: target.dialect, docName, doc: typists[i].doc, onUpdate: typists[i].receive }));
    clients.forEach((client, i) => (typists[i].client = client));
    const random = mulberry32(0xb4);
    const sends: { at: number; typist: Typist }[] = [];
    for (let k = 0; k < perClient; k++) typists.forEach((typist, i) => sends.push({ at: (k + i / typists.length) * options.intervalMs, typist }));
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (const [n, send] of sends.entries()) {
      const wait = started + send.at - performance.now();
      if (wait > 1) await sleep(wait);
      send.typist.type(random, String.fromCharCode(97 + (n % 26)));
    }
    const lastKeystroke = performance.now();
    const cpu = process.cpuUsage(cpuBefore);
    const harnessCores = (cpu.user + cpu.system) / 1000 / (lastKeystroke - started);
    const convergedMs = await converge(typists, sends.length, lastKeystroke, options.settleMs);
    const expected = sends.length * (typists.length - 1);
    const delivered = typists.reduce((n, t) => n + t.text.length - t.typed, 0);
    const complete = typists.filter((t) => t.text.length === sends.length);
    const diverged = complete.some((t) => t.text.toString() !== complete[0].text.toString());
    return { sent: sends.length, observer: summarize(latencies, sends.length - typists[0].typed), delivered, expected, convergedMs, converged: complete.length, diverged, harnessCores };
  } finally {
    closeAll(clients);
  }
}

/** Waits until every typist has all `total` keystrokes (they only insert, so length tells); ms after `since`, or null. */
async function converge(typists: Typist[], total: number, since: number, settleMs: number): Promise<number | null> {
  const done = new Tally();
  let last = since;
  typists.forEach((typist) => {
    const observed = typist.onRemote;
    const check = (at: number) => {
      if (typist.text.length !== total) return;
      typist.onRemote = observed;
      last = Math.max(last, at);
      done.add();
    };
    typist.onRemote = (at) => (observed?.(at), check(at));
    check(since);
  });
  return (await done.reach(typists.length, settleMs)) ? last - since : null;
}
