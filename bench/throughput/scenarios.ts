// The measured scenarios, written once against the Target interface and the raw client.
import * as Y from "yjs";
import { connect, type RawClient } from "./client.ts";
import type { Target } from "./targets.ts";
import { type FinalState, type ReplayUpdates, TEXT } from "./trace.ts";

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** A Y.Doc fed by a client, with a way to wait until its text is a given string. */
class Mirror {
  readonly doc = new Y.Doc();
  readonly text = this.doc.getText(TEXT);
  private waiter: { expected: string; resolve: () => void } | null = null;

  readonly apply = (update: Uint8Array) => {
    Y.applyUpdate(this.doc, update);
    const waiter = this.waiter;
    if (waiter && this.text.length === waiter.expected.length && this.text.toString() === waiter.expected) {
      this.waiter = null;
      waiter.resolve();
    }
  };

  until(expected: string, timeoutMs: number, what: string): Promise<void> {
    if (this.text.toString() === expected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`${what}: text not reached within ${timeoutMs} ms (${this.text.length} of ${expected.length} chars)`));
      }, timeoutMs);
      this.waiter = { expected, resolve: () => (clearTimeout(timer), resolve()) };
    });
  }
}

export interface ReplayResult {
  ms: number;
  updatesPerSecond: number;
  /** Server CPU time per update during the replay, microseconds. */
  serverCpuMicros: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
}

/**
 * B4 replay: one writer sends one update per patch, with at most `window` updates sent but not
 * yet seen by the reader; the clock stops when the reader's text equals the expected text.
 */
export async function replayB4(target: Target, docName: string, replay: ReplayUpdates, window: number, timeoutMs: number): Promise<ReplayResult> {
  const mirror = new Mirror();
  let received = 0;
  let wake: { at: number; resolve: () => void } | null = null;
  const reader = await connect({
    url: await target.url(docName),
    dialect: target.dialect,
    docName,
    doc: mirror.doc,
    onUpdate: (update) => {
      mirror.apply(update);
      // Every B4 patch inserts or deletes one character, so updates seen = inserted + deleted
      // characters = 2 × the writer's clock − the text length, whatever the server merged.
      received = 2 * Y.getState(mirror.doc.store, replay.clientID) - mirror.text.length;
      if (wake && received >= wake.at) {
        const { resolve } = wake;
        wake = null;
        resolve();
      }
    },
  });
  const writer = await connect({ url: await target.url(docName), dialect: target.dialect, docName });
  try {
    const frames = replay.updates.map((update) => writer.codec.update(update));
    const rssBeforeBytes = target.memory().serverBytes;
    const cpuBefore = target.cpuSeconds();
    const done = mirror.until(replay.expected, timeoutMs, `${target.name} B4 replay`);
    const started = performance.now();
    for (let i = 0; i < frames.length; i++) {
      if (i - received >= window) {
        await Promise.race([new Promise<void>((resolve) => (wake = { at: i - window + 1, resolve })), done]);
      }
      writer.sendFrame(frames[i]);
    }
    await done;
    const ms = performance.now() - started;
    const serverCpuMicros = ((target.cpuSeconds() - cpuBefore) / frames.length) * 1e6;
    return { ms, updatesPerSecond: (frames.length / ms) * 1000, serverCpuMicros, rssBeforeBytes, rssAfterBytes: target.memory().serverBytes };
  } finally {
    writer.close();
    reader.close();
  }
}

export interface FanOutResult {
  /** Send-to-receipt latency of every delivery, ms. */
  latencies: number[];
  expected: number;
}

/** One writer sends `count` updates at `rate` per second; every reader times each arrival. */
export async function fanOut(
  target: Target,
  docName: string,
  readerCount: number,
  rate: number,
  appends: { updates: Uint8Array[]; clientID: number },
): Promise<FanOutResult> {
  const sentAt = new Float64Array(appends.updates.length).fill(Number.NaN);
  const latencies: number[] = [];
  const onUpdate = (update: Uint8Array, at: number) => {
    const meta = Y.parseUpdateMeta(update);
    const from = meta.from.get(appends.clientID);
    const to = meta.to.get(appends.clientID);
    if (from === undefined || to === undefined) return;
    for (let clock = from; clock < to; clock++) if (!Number.isNaN(sentAt[clock])) latencies.push(at - sentAt[clock]);
  };
  const url = await target.url(docName);
  const readers: RawClient[] = [];
  let writer: RawClient | null = null;
  try {
    for (let i = 0; i < readerCount; i += 25) {
      const batch = Array.from({ length: Math.min(25, readerCount - i) }, () => connect({ url, dialect: target.dialect, docName, onUpdate }));
      readers.push(...(await Promise.all(batch)));
    }
    writer = await connect({ url, dialect: target.dialect, docName });
    const frames = appends.updates.map((update) => writer!.codec.update(update));
    await sleep(200);
    const expected = frames.length * readerCount;
    const started = performance.now();
    for (let k = 0; k < frames.length; k++) {
      const due = started + (k * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      sentAt[k] = performance.now();
      writer.sendFrame(frames[k]);
    }
    for (const deadline = performance.now() + 10_000; latencies.length < expected && performance.now() < deadline; ) await sleep(20);
    return { latencies, expected };
  } finally {
    writer?.close();
    for (const reader of readers) reader.close();
  }
}

/** Seeds a document with the B4 final state and keeps a holder connection open on it (peers unload documents nobody holds). */
export async function seedFinalState(target: Target, docName: string, final: FinalState): Promise<RawClient> {
  const mirror = new Mirror();
  const holder = await connect({ url: await target.url(docName), dialect: target.dialect, docName, doc: mirror.doc, onUpdate: mirror.apply });
  const seeder = await connect({ url: await target.url(docName), dialect: target.dialect, docName });
  try {
    seeder.sendFrame(seeder.codec.update(final.update));
    // The holder sees the relayed update only once the server has applied (for Quire: stored) it.
    await mirror.until(final.expected, 60_000, `${target.name} seeding`);
  } finally {
    seeder.close();
  }
  return holder;
}

/** One new client joining: from opening the socket until its text equals the document's, ms. */
export async function joinOnce(target: Target, docName: string, final: FinalState): Promise<number> {
  const mirror = new Mirror();
  const url = await target.url(docName);
  const started = performance.now();
  const client = await connect({ url, dialect: target.dialect, docName, doc: mirror.doc, onUpdate: mirror.apply });
  try {
    await mirror.until(final.expected, 60_000, `${target.name} join`);
    return performance.now() - started;
  } finally {
    client.close();
  }
}
