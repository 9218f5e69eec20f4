// Restore: the one change that makes a document's content equal to a snapshot's. A CRDT cannot
// go back, so the change is made of ordinary edits (deletions and fresh inserts) computed on a
// copy of the current state; applied on top, it converges everywhere like any other edit.
import * as Y from "yjs";
import { attributesKey, cloneValue, contentKey } from "./contentKey";

type RootKind = "text" | "map" | "array" | "xml";

/** The snapshot and the document use one root name for different types; nothing sensible can be computed. */
export class RestoreConflict extends Error {
  override name = "RestoreConflict";
}

/**
 * Returns the update that turns `current`'s content into `target`'s, or null if they are already
 * equal. Root types are recognised from their content (a server never declares them); Y.Text,
 * Y.Map, Y.Array and Y.XmlFragment roots are supported, nested types at any depth.
 */
export function buildRestoreUpdate(current: Y.Doc, target: Y.Doc): Uint8Array | null {
  const work = new Y.Doc();
  Y.applyUpdate(work, Y.encodeStateAsUpdate(current));
  // The edits get a client id of their own; reusing a live client's id would fork its history.
  while (work.store.clients.has(work.clientID)) work.clientID = Math.floor(Math.random() * 0xffffffff);
  const kinds = new Map<string, RootKind>();
  for (const name of new Set([...work.share.keys(), ...target.share.keys()])) {
    const now = rootKind(work.share.get(name));
    const then = rootKind(target.share.get(name));
    if (now && then && now !== then) throw new RestoreConflict(`root "${name}" holds a ${now} now but a ${then} in the snapshot`);
    const kind = then ?? now;
    if (kind) kinds.set(name, kind);
  }
  let update: Uint8Array | null = null;
  const capture = (change: Uint8Array) => (update = change);
  work.on("update", capture);
  work.transact(() => {
    for (const [name, kind] of kinds) equalizeRoot(work, target, name, kind);
  });
  work.off("update", capture);
  return update;
}

function equalizeRoot(work: Y.Doc, target: Y.Doc, name: string, kind: RootKind): void {
  switch (kind) {
    case "text":
      return equalizeText(work.getText(name), target.getText(name));
    case "map":
      return equalizeMap(work.getMap(name), target.getMap(name));
    case "array":
      return equalizeSequence(work.getArray(name), target.getArray(name));
    case "xml":
      return equalizeSequence(work.getXmlFragment(name), target.getXmlFragment(name));
  }
}

/** What a root holds, judged by its first item with typed content (or by its keys). */
function rootKind(type: Y.AbstractType<Y.YEvent<any>> | undefined): RootKind | null {
  if (!type) return null;
  if (type instanceof Y.XmlFragment) return "xml";
  if (type instanceof Y.Text) return "text";
  if (type instanceof Y.Array) return "array";
  if (type instanceof Y.Map) return "map";
  for (let item = type._start; item !== null; item = item.right) {
    const content = item.content;
    if (content instanceof Y.ContentString || content instanceof Y.ContentFormat || content instanceof Y.ContentEmbed) return "text";
    if (content instanceof Y.ContentType) {
      const child = content.type;
      return child instanceof Y.XmlElement || child instanceof Y.XmlText || child instanceof Y.XmlHook ? "xml" : "array";
    }
    if (content instanceof Y.ContentAny || content instanceof Y.ContentBinary || content instanceof Y.ContentJSON || content instanceof Y.ContentDoc) {
      return "array";
    }
  }
  return type._map.size > 0 ? "map" : null;
}

function equalizeMap(work: Y.Map<unknown>, target: Y.Map<unknown>): void {
  for (const key of [...work.keys()]) if (!target.has(key)) work.delete(key);
  target.forEach((value, key) => {
    if (!work.has(key) || contentKey(work.get(key)) !== contentKey(value)) work.set(key, cloneValue(value));
  });
}

/** Keeps the equal elements at both ends and replaces the differing middle with copies. */
function equalizeSequence<T extends Y.Array<unknown> | Y.XmlFragment>(work: T, target: T): void {
  const have = work.toArray().map(contentKey);
  const want = target.toArray();
  const wantKeys = want.map(contentKey);
  const prefix = commonLength((i) => have[i] === wantKeys[i], Math.min(have.length, want.length));
  const limit = Math.min(have.length, want.length) - prefix;
  const suffix = commonLength((i) => have[have.length - 1 - i] === wantKeys[want.length - 1 - i], limit);
  const removed = have.length - prefix - suffix;
  if (removed > 0) work.delete(prefix, removed);
  const inserted = want.slice(prefix, want.length - suffix).map(cloneValue);
  if (inserted.length > 0) (work as Y.Array<unknown>).insert(prefix, inserted);
}

function commonLength(equalAt: (i: number) => boolean, limit: number): number {
  let n = 0;
  while (n < limit && equalAt(n)) n++;
  return n;
}

/** One run of a text's delta: a string or an embed, with its formatting. */
interface Run {
  insert: unknown;
  attributes: Record<string, unknown> | undefined;
  attrsKey: string;
  embedKey: string | null;
}

const runLength = (run: Run) => (typeof run.insert === "string" ? run.insert.length : 1);

function runsOf(text: Y.Text): Run[] {
  const delta = text.toDelta() as Array<{ insert: unknown; attributes?: Record<string, unknown> }>;
  return delta.map((op) => ({
    insert: op.insert,
    attributes: op.attributes,
    attrsKey: attributesKey(op.attributes),
    embedKey: typeof op.insert === "string" ? null : contentKey(op.insert),
  }));
}

/**
 * Keeps the longest equal start and end (same characters, same formatting) and rewrites the
 * middle, so a restore leaves untouched text, and the cursors anchored in it, where they are.
 */
function equalizeText(work: Y.Text, target: Y.Text): void {
  const have = runsOf(work);
  const want = runsOf(target);
  const haveLength = have.reduce((n, r) => n + runLength(r), 0);
  const wantLength = want.reduce((n, r) => n + runLength(r), 0);
  let prefix = commonPositions(positions(have, false), positions(want, false), Math.min(haveLength, wantLength));
  // Never split a surrogate pair: edits at its middle would leave half a character.
  if (prefix > 0 && isHighSurrogate(codeUnitAt(have, prefix - 1))) prefix--;
  let suffix = commonPositions(positions(have, true), positions(want, true), Math.min(haveLength, wantLength) - prefix);
  if (suffix > 0 && isLowSurrogate(codeUnitAt(have, haveLength - suffix))) suffix--;
  if (haveLength - prefix - suffix > 0) work.delete(prefix, haveLength - prefix - suffix);
  let index = prefix;
  for (const run of sliceRuns(want, prefix, wantLength - suffix)) {
    // Explicit attributes (even empty) stop the insert from inheriting its neighbour's formatting.
    const attributes = { ...(run.attributes ?? {}) };
    if (typeof run.insert === "string") work.insert(index, run.insert, attributes);
    else work.insertEmbed(index, cloneValue(run.insert) as object, attributes);
    index += runLength(run);
  }
}

/** One key per text position, from the start or from the end. */
function* positions(runs: Run[], fromEnd: boolean): Generator<string> {
  for (const run of fromEnd ? [...runs].reverse() : runs) {
    if (typeof run.insert !== "string") {
      yield `\u0001${run.embedKey}\u0000${run.attrsKey}`;
      continue;
    }
    const s = run.insert;
    if (fromEnd) for (let i = s.length - 1; i >= 0; i--) yield `${s[i]}\u0000${run.attrsKey}`;
    else for (let i = 0; i < s.length; i++) yield `${s[i]}\u0000${run.attrsKey}`;
  }
}

function commonPositions(a: Iterator<string>, b: Iterator<string>, limit: number): number {
  let n = 0;
  while (n < limit) {
    const x = a.next();
    const y = b.next();
    if (x.done || y.done || x.value !== y.value) break;
    n++;
  }
  return n;
}

function codeUnitAt(runs: Run[], index: number): number {
  for (const run of runs) {
    const length = runLength(run);
    if (index < length) return typeof run.insert === "string" ? run.insert.charCodeAt(index) : -1;
    index -= length;
  }
  return -1;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** The runs covering positions [from, to). */
function sliceRuns(runs: Run[], from: number, to: number): Run[] {
  const out: Run[] = [];
  let start = 0;
  for (const run of runs) {
    const end = start + runLength(run);
    if (end > from && start < to) {
      out.push(typeof run.insert === "string" ? { ...run, insert: run.insert.slice(Math.max(0, from - start), Math.min(end, to) - start) } : run);
    }
    start = end;
  }
  return out;
}
