// Reconnect catch-up: a client that synced most of a B4-sized document comes back after the rest was
// written without it, and syncs what it missed.
import { connect, type RawClient } from "../client.ts";
import { Mirror } from "../mirror.ts";
import type { Target } from "../targets.ts";
import type { CatchUp } from "../trace.ts";
import { seed, syncOnce } from "./join.ts";
import { pushWindowed } from "./replay.ts";

export interface CatchUpResult {
  /** Updates written while the client was away. */
  missed: number;
  /** Time to write them (one writer, windowed like the replay), ms. */
  writeMs: number;
  /** Each reconnect, from opening the socket until the text is the final text, ms. */
  reconnects: number[];
}

/**
 * The document is seeded with the client's last state, the trace's tail is written update by update
 * while a holder stays connected (so the document stays loaded, as with other editors present), and
 * then the returning client reconnects `reconnects` times, each time from its old state.
 */
export async function catchUp(target: Target, docName: string, trace: CatchUp, window: number, timeoutMs: number, reconnects: number): Promise<CatchUpResult> {
  const holder = await seed(target, docName, trace.base, trace.baseText);
  let writer: RawClient | null = null;
  try {
    writer = await connect({ url: await target.url(docName), dialect: target.dialect, docName });
    const pushed = await pushWindowed(writer, holder.mirror, trace.tail, window, timeoutMs, `${target.name} catch-up writes`);
    if (!pushed.finished) throw new Error(`the missed updates were not all relayed within ${timeoutMs / 1000} s (${pushed.received} of ${trace.tail.updates.length})`);
    writer.close();
    const times: number[] = [];
    for (let i = 0; i < reconnects; i++) times.push(await syncOnce(target, docName, trace.tail.expected, new Mirror(trace.base)));
    return { missed: trace.tail.updates.length, writeMs: pushed.ms, reconnects: times };
  } finally {
    writer?.close();
    holder.client.close();
  }
}
