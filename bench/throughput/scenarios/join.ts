// Join: a new client opens a B4-sized document and syncs it; also the seeding the other scenarios share.
import { connect, type RawClient } from "../client.ts";
import { Mirror } from "../mirror.ts";
import type { Target } from "../targets.ts";

const SEED_TIMEOUT_MS = 60_000;
const JOIN_TIMEOUT_MS = 60_000;

export interface Holder {
  client: RawClient;
  /** The holder's copy of the document, kept in step. */
  mirror: Mirror;
}

/**
 * Seeds a document with `state` (one update, text `expected`) and keeps a holder connection open on
 * it, so that every server keeps it loaded (peers unload documents nobody holds).
 */
export async function seed(target: Target, docName: string, state: Uint8Array, expected: string): Promise<Holder> {
  const mirror = new Mirror();
  const url = await target.url(docName);
  const client = await connect({ url, dialect: target.dialect, docName, doc: mirror.doc, onUpdate: mirror.apply });
  let seeder: RawClient | null = null;
  try {
    seeder = await connect({ url, dialect: target.dialect, docName });
    seeder.sendFrame(seeder.codec.update(state));
    // The holder sees the relayed update only once the server has applied (for Quire: stored) it.
    await mirror.until(expected, SEED_TIMEOUT_MS, `${target.name} seeding`);
    return { client, mirror };
  } catch (error) {
    client.close();
    throw error;
  } finally {
    seeder?.close();
  }
}

/**
 * One client connecting with `mirror`'s state: from opening the socket until its text equals
 * `expected`, ms. A new client starts empty; a returning one starts from what it had.
 */
export async function syncOnce(target: Target, docName: string, expected: string, mirror = new Mirror()): Promise<number> {
  const url = await target.url(docName);
  const started = performance.now();
  const client = await connect({ url, dialect: target.dialect, docName, doc: mirror.doc, onUpdate: mirror.apply }, JOIN_TIMEOUT_MS);
  try {
    await mirror.until(expected, JOIN_TIMEOUT_MS - (performance.now() - started), `${target.name} join`);
    return performance.now() - started;
  } finally {
    client.close();
  }
}
