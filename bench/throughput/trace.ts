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

function readTrace(): Trace {
  return JSON.parse(gunzipSync(readFileSync(TRACE_PATH)).toString("utf8")) as Trace;
}

function applyPatch(text: Y.Text, [position, deleted, inserted]: Patch): void {
  if (deleted > 0) text.delete(position, deleted);
  if (inserted) text.insert(position, inserted);
}

/**
 * The first `limit` patches as one update each, and the final state of the whole trace. Every
 * B4 patch inserts or deletes one character, which the readers' progress check relies on.
 */
export function loadB4(limit: number): { replay: ReplayUpdates; final: FinalState } {
  const trace = readTrace();
  const patches = trace.txns.flatMap((txn) => txn.patches);
  if (trace.startContent !== "") throw new Error("the B4 trace is expected to start empty");

  const doc = new Y.Doc();
  const text = doc.getText(TEXT);
  const updates: Uint8Array[] = [];
  doc.on("update", (update: Uint8Array) => updates.push(update));
  for (const patch of patches.slice(0, limit)) doc.transact(() => applyPatch(text, patch));
  const replay: ReplayUpdates = {
    updates,
    clientID: doc.clientID,
    expected: text.toString(),
    bytes: updates.reduce((n, u) => n + u.byteLength, 0),
    tracePatches: patches.length,
  };

  const full = new Y.Doc();
  const fullText = full.getText(TEXT);
  full.transact(() => {
    for (const patch of patches) applyPatch(fullText, patch);
  });
  if (fullText.toString() !== trace.endContent) throw new Error("replaying B4 does not give its end content");
  return { replay, final: { update: Y.encodeStateAsUpdate(full), expected: trace.endContent } };
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
