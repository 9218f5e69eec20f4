// B4 replay: one writer sends the trace one update per patch to one reader, through the server.
import * as Y from "yjs";
import { connect, type RawClient } from "../client.ts";
import { Mirror, TimeoutError } from "../mirror.ts";
import type { Target } from "../targets.ts";
import type { ReplayUpdates } from "../trace.ts";

export interface Pushed {
  /** False when the reader's text was not complete within the timeout. */
  finished: boolean;
  ms: number;
  /** Updates the reader had when the clock stopped. */
  received: number;
}

/**
 * Sends `replay.updates` through `writer` with at most `window` updates sent but not yet seen by
 * `reader`; the clock stops when the reader's text equals `replay.expected`, or at `timeoutMs`.
 */
export async function pushWindowed(writer: RawClient, reader: Mirror, replay: ReplayUpdates, window: number, timeoutMs: number, what: string): Promise<Pushed> {
  // Every B4 patch inserts or deletes one character: an insert adds one to the writer's clock and
  // to the length, a delete only takes one from the length. So 2 × clock − length counts the
  // patches seen, whatever the server merged.
  const progress = () => 2 * Y.getState(reader.doc.store, replay.clientID) - reader.text.length;
  const offset = progress();
  let received = 0;
  let wake: { at: number; resolve: () => void } | null = null;
  reader.onApplied = () => {
    received = progress() - offset;
    if (wake && received >= wake.at) {
      const { resolve } = wake;
      wake = null;
      resolve();
    }
  };
  const frames = replay.updates.map((update) => writer.codec.update(update));
  const done = reader.until(replay.expected, timeoutMs, what);
  const started = performance.now();
  try {
    for (let i = 0; i < frames.length; i++) {
      if (i - received >= window) await Promise.race([new Promise<void>((resolve) => (wake = { at: i - window + 1, resolve })), done]);
      writer.sendFrame(frames[i]);
    }
    await done;
    return { finished: true, ms: performance.now() - started, received };
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    return { finished: false, ms: performance.now() - started, received };
  } finally {
    reader.onApplied = null;
  }
}

export interface ReplayResult extends Pushed {
  updates: number;
  /** Updates relayed per second: all of them when finished, those the reader got by the timeout otherwise. */
  updatesPerSecond: number;
  /** Server CPU time per relayed update during the replay, microseconds. */
  serverCpuMicros: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
}

/** The replay scenario: a fresh document, one reader, one writer. */
export async function replayB4(target: Target, docName: string, replay: ReplayUpdates, window: number, timeoutMs: number): Promise<ReplayResult> {
  const mirror = new Mirror();
  const url = await target.url(docName);
  const reader = await connect({ url, dialect: target.dialect, docName, doc: mirror.doc, onUpdate: mirror.apply });
  let writer: RawClient | null = null;
  try {
    writer = await connect({ url, dialect: target.dialect, docName });
    const rssBeforeBytes = target.memory().serverBytes;
    const cpuBefore = target.cpuSeconds();
    const pushed = await pushWindowed(writer, mirror, replay, window, timeoutMs, `${target.name} B4 replay`);
    const serverCpuMicros = ((target.cpuSeconds() - cpuBefore) / Math.max(1, pushed.received)) * 1e6;
    return {
      ...pushed,
      updates: replay.updates.length,
      updatesPerSecond: (pushed.received / pushed.ms) * 1000,
      serverCpuMicros,
      rssBeforeBytes,
      rssAfterBytes: target.memory().serverBytes,
    };
  } finally {
    writer?.close();
    reader.close();
  }
}
