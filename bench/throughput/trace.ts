// The B4 editing trace (automerge-paper), read from ../shared/traces, turned into Yjs updates.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import * as Y from "yjs";

export const TRACE_PATH = resolve(import.meta.dirname, "../../../shared/traces/automerge-paper.json.gz");
/** The shared type every client edits. */
export const TEXT = "text";

type Patch = [position: number, deleted: number, inserted: string];
interface Trace {
  startContent: string;
  endContent: string;
  txns: { patches: Patch[] }[];
}

export interface ReplayUpdates {
  /** One update per patch, in order, all from `clientID`. */
  updates: Uint8Array[];
  clientID: number;
  /** The text once every update is applied. */
  expected: string;
  bytes: number;
  /** Patches in the whole trace. */
  tracePatches: number;
}

export interface FinalState {
  /** The whole trace's final document as one update. */
  update: Uint8Array;
  expected: string;
}

/** A client that fell behind: it holds the state after the first part of the trace, the server has all of it. */
export interface CatchUp {
  /** The state after `baseUpdates` patches, as one update: the returning client's document. */
  base: Uint8Array;
  baseText: string;
  /** The remaining patches, one update each, from the same client as `base`. */
  tail: ReplayUpdates;
}

function readTrace(): Trace {
  return JSON.parse(gunzipSync(readFileSync(TRACE_PATH)).toString("utf8")) as Trace;
}

function applyPatch(text: Y.Text, [position, deleted, inserted]: Patch): void {
  if (deleted > 0) text.delete(position, deleted);
  if (inserted) text.insert(position, inserted);
}

const replayOf = (updates: Uint8Array[], clientID: number, expected: string, tracePatches: number): ReplayUpdates => ({
  updates,
  clientID,
  expected,
  bytes: updates.reduce((n, u) => n + u.byteLength, 0),
  tracePatches,
});

/**
 * The first `limit` patches as one update each; the final state of the whole trace as one update;
 * and the trace split at `1 - catchUpFraction` for the reconnect scenario. Every B4 patch inserts
 * or deletes one character, which the readers' progress check relies on.
 */
export function loadB4(limit: number, catchUpFraction = 0.1): { replay: ReplayUpdates; final: FinalState; catchUp: CatchUp } {
  const trace = readTrace();
  const patches = trace.txns.flatMap((txn) => txn.patches);
  if (trace.startContent !== "") throw new Error("the B4 trace is expected to start empty");
  const replayCount = Math.min(limit, patches.length);
  const baseCount = Math.round(patches.length * (1 - catchUpFraction));

  const doc = new Y.Doc();
  const text = doc.getText(TEXT);
  const updates: Uint8Array[] = [];
  doc.on("update", (update: Uint8Array) => updates.push(update));
  let replayText = "";
  let base: Uint8Array = new Uint8Array();
  let baseText = "";
  patches.forEach((patch, i) => {
    if (i === baseCount) [base, baseText] = [Y.encodeStateAsUpdate(doc), text.toString()];
    if (i === replayCount) replayText = text.toString();
    doc.transact(() => applyPatch(text, patch));
  });
  if (replayCount === patches.length) replayText = text.toString();
  if (text.toString() !== trace.endContent) throw new Error("replaying B4 does not give its end content");

  return {
    replay: replayOf(updates.slice(0, replayCount), doc.clientID, replayText, patches.length),
    final: { update: Y.encodeStateAsUpdate(doc), expected: trace.endContent },
    catchUp: { base, baseText, tail: replayOf(updates.slice(baseCount), doc.clientID, trace.endContent, patches.length) },
  };
}

/** `count` one-character appends by one client, one update each; update k carries clock k. */
export function appendUpdates(count: number): { updates: Uint8Array[]; clientID: number } {
  const doc = new Y.Doc();
  const text = doc.getText(TEXT);
  const updates: Uint8Array[] = [];
  doc.on("update", (update: Uint8Array) => updates.push(update));
  for (let k = 0; k < count; k++) text.insert(k, String.fromCharCode(97 + (k % 26)));
  return { updates, clientID: doc.clientID };
}
