// Checks on incoming Yjs data before it touches the document, and the bookkeeping of what Yjs holds
// back while an update's dependencies are missing.
import * as Y from "yjs";
import { CloseCode } from "../protocol/closeCodes";
import { CloseConnection } from "./errors";

/**
 * Decodes an update fully without touching the document, so a corrupt one is refused before
 * anything changes. `clients` are the client ids its items belong to.
 */
export function readUpdate(update: Uint8Array): { hasChanges: boolean; clients: Set<number> } {
  try {
    const { structs, ds } = Y.decodeUpdate(update);
    return { hasChanges: structs.length > 0 || ds.clients.size > 0, clients: new Set(structs.map((struct) => struct.id.client)) };
  } catch {
    throw new CloseConnection(CloseCode.invalidUpdate, "the update is not a valid Yjs update");
  }
}

/** Refuses a state vector that does not decode, before anything is sent. */
export function checkStateVector(stateVector: Uint8Array): void {
  try {
    Y.decodeStateVector(stateVector);
  } catch {
    throw new CloseConnection(CloseCode.malformedMessage, "sync step 1 carries an invalid state vector");
  }
}

export interface Pending {
  structs: Uint8Array | null;
  ds: Uint8Array | null;
}

/** The updates Yjs holds back until their dependencies arrive. */
export function pendingOf(doc: Y.Doc): Pending {
  return { structs: doc.store.pendingStructs?.update ?? null, ds: doc.store.pendingDs };
}

/**
 * Whether an update added to what is held back. Yjs re-encodes what it holds back whenever an
 * update arrives while something is pending, so the two are compared by content (pending state
 * is rare and small: it only exists while an update's dependencies are missing).
 */
export function pendingGrew(before: Pending, after: Pending): boolean {
  const grew = (was: Uint8Array | null, is: Uint8Array | null) => is !== null && is !== was && (was === null || !sameBytes(is, was));
  return grew(before.structs, after.structs) || grew(before.ds, after.ds);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** How many of `clients` the document has never seen: each one it keeps forever. */
export function newClients(doc: Y.Doc, clients: Set<number>): number {
  let fresh = 0;
  for (const client of clients) if (!doc.store.clients.has(client)) fresh++;
  return fresh;
}
