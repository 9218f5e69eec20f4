// Fan-out: one writer sends small updates at a steady rate to N readers, each timing every arrival.
import * as Y from "yjs";
import { connect, type RawClient } from "../client.ts";
import { type LatencySummary, summarize } from "../latency.ts";
import type { Target } from "../targets.ts";
import { closeAll, connectMany } from "./connectMany.ts";
import { sleep, Tally } from "./tally.ts";

/** How long readers may take after the last send before missing deliveries count as lost. */
const DRAIN_MS = 10_000;

/** One writer sends `appends` at `rate` per second; latency from send to receipt at every reader. */
export async function fanOut(target: Target, docName: string, readerCount: number, rate: number, appends: { updates: Uint8Array[]; clientID: number }): Promise<LatencySummary> {
  const sentAt = new Float64Array(appends.updates.length).fill(Number.NaN);
  const latencies: number[] = [];
  const arrivals = new Tally();
  const onUpdate = (update: Uint8Array, at: number) => {
    const meta = Y.parseUpdateMeta(update);
    const from = meta.from.get(appends.clientID);
    const to = meta.to.get(appends.clientID);
    if (from === undefined || to === undefined) return;
    for (let clock = from; clock < to; clock++) {
      if (Number.isNaN(sentAt[clock])) continue;
      latencies.push(at - sentAt[clock]);
      arrivals.add();
    }
  };
  let readers: RawClient[] = [];
  let writer: RawClient | null = null;
  try {
    // Every client is a user of its own (for Quire, its own token), as in an application.
    readers = await connectMany(readerCount, async () => ({ url: await target.url(docName), dialect: target.dialect, docName, onUpdate }));
    writer = await connect({ url: await target.url(docName), dialect: target.dialect, docName });
    const frames = appends.updates.map((update) => writer!.codec.update(update));
    const started = performance.now();
    for (let k = 0; k < frames.length; k++) {
      const wait = started + (k * 1000) / rate - performance.now();
      if (wait > 1) await sleep(wait);
      sentAt[k] = performance.now();
      writer.sendFrame(frames[k]);
    }
    const expected = frames.length * readerCount;
    await arrivals.reach(expected, DRAIN_MS);
    return summarize(latencies, expected);
  } finally {
    closeAll([writer, ...readers]);
  }
}
