// Shared helpers for the snapshot tests: run code in a document object, make Yjs updates, read R2.
import { env, exports } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import * as Y from "yjs";
import type { DocumentObject } from "../../src/document/DocumentObject";
import { DEFAULT_CONFIG, type SnapshotConfig } from "../../src/snapshots/config";
import { stubFor } from "../helpers/workerClient";

/** Runs `fn` inside the document's object, which then knows its document id. */
export function inObject<T>(docId: string, fn: (object: DocumentObject, state: DurableObjectState) => T | Promise<T>): Promise<T> {
  return runInDurableObject(stubFor(docId), async (object: DocumentObject, state: DurableObjectState) => {
    object.rememberDocId(docId);
    return fn(object, state);
  });
}

/** Sets the compaction settings of the running object (they reset to the defaults on eviction). */
export const configure = (docId: string, config: Partial<SnapshotConfig>) =>
  inObject(docId, (object) => {
    object.compactor.config = { ...DEFAULT_CONFIG, ...config };
  });

/** The single update one local transaction on `doc` produces. */
export function change(doc: Y.Doc, fn: (doc: Y.Doc) => void): Uint8Array {
  let update: Uint8Array | null = null;
  const capture = (u: Uint8Array) => (update = u);
  doc.on("update", capture);
  doc.transact(() => fn(doc));
  doc.off("update", capture);
  if (!update) throw new Error("the change changed nothing");
  return update;
}

/** Stores updates as if a client had sent them (through the room, so hooks and alarms run). */
export const store = (docId: string, updates: Uint8Array[]) =>
  inObject(docId, async (object) => {
    for (const update of updates) await object.room.applyServerUpdate(update, "tester");
  });

/** `count` one-character edits to the text "text" of `doc`, one update each. */
export function typing(doc: Y.Doc, count: number, seed = 1): Uint8Array[] {
  const text = doc.getText("text");
  return Array.from({ length: count }, (_, i) => change(doc, () => text.insert((seed * 7 + i * 13) % (text.length + 1), String.fromCharCode(97 + ((seed + i) % 26)))));
}

/** The server's current document, as a fresh copy. */
export const serverDoc = (docId: string) =>
  inObject(docId, async (object) => {
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(await object.room.getDoc()));
    return Y.encodeStateAsUpdate(copy);
  }).then((update) => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, update);
    return doc;
  });

export async function r2Keys(prefix: string): Promise<string[]> {
  return (await env.SNAPSHOTS.list({ prefix })).objects.map((o) => o.key);
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Admin REST call through the Worker. */
export function admin(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${env.ADMIN_TOKEN}`);
  return exports.default.fetch(`http://quire.test${path}`, { ...init, headers });
}

/**
 * Runs the document's alarm now. Alarms also fire by themselves when due (compaction asks for
 * "now" once a threshold is passed), so callers check the outcome with `eventually`.
 */
export async function runAlarm(docId: string): Promise<void> {
  await runDurableObjectAlarm(stubFor(docId));
}

/**
 * Retries `check` until it stops throwing, for effects of an alarm that may be running by itself.
 * The timeout only bounds a failing check, so it is generous for a loaded machine.
 */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
