// Splits a Yjs update that is too large for one WebSocket message into several valid updates that,
// applied in order, have the same effect. Long strings and arrays are cut inside one item.
import * as encoding from "lib0/encoding";
import * as Y from "yjs";

type Struct = Y.Item | Y.GC | Y.Skip;
type DeleteSet = ReturnType<typeof Y.decodeUpdate>["ds"];

/** Room left in every part for the frame header and the per-client headers. */
const HEADER_BYTES = 64;
const RUN_HEADER_BYTES = 16;

/**
 * Returns `[update]` when it fits in `maxBytes`, otherwise parts that each fit, except for a single
 * indivisible item (a binary blob, an embed) larger than the limit, which keeps a part of its own.
 */
export function splitUpdate(update: Uint8Array, maxBytes: number): Uint8Array[] {
  if (update.byteLength <= maxBytes) return [update];
  const budget = Math.max(maxBytes - HEADER_BYTES, 256);
  const { structs, ds } = Y.decodeUpdate(update);
  const parts: Uint8Array[] = [];
  let batch: Struct[] = [];
  let batchBytes = 0;
  for (const struct of structs) {
    for (const piece of sliceToFit(struct, budget - RUN_HEADER_BYTES)) {
      const bytes = structBytes(piece) + RUN_HEADER_BYTES;
      if (batch.length > 0 && batchBytes + bytes > budget) {
        parts.push(encodeStructs(batch));
        batch = [];
        batchBytes = 0;
      }
      batch.push(piece);
      batchBytes += bytes;
    }
  }
  if (batch.length > 0) parts.push(encodeStructs(batch));
  parts.push(...encodeDeleteSets(ds, budget));
  return parts;
}

function structBytes(struct: Struct): number {
  const encoder = new Y.UpdateEncoderV1();
  struct.write(encoder, 0);
  return encoding.length(encoder.restEncoder);
}

/** Cuts an item whose content is a string or an array into pieces of at most `budget` bytes. */
function sliceToFit(struct: Struct, budget: number): Struct[] {
  if (!(struct instanceof Y.Item) || structBytes(struct) <= budget) return [struct];
  const pieces: Struct[] = [];
  let rest: Y.Item = struct;
  for (;;) {
    const cut = cutPoint(rest.content, budget - itemHeaderBytes(rest));
    if (cut <= 0 || cut >= rest.length) break;
    pieces.push(rest);
    rest = sliceItem(rest, cut);
  }
  pieces.push(rest);
  return pieces;
}

/** How many units of `content` fit in `budget` bytes, never splitting a surrogate pair; 0 if it cannot be cut. */
function cutPoint(content: Y.Item["content"], room: number): number {
  if (content instanceof Y.ContentString) {
    const str = content.str;
    let bytes = 0;
    let i = 0;
    while (i < str.length) {
      const code = str.codePointAt(i)!;
      const width = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
      if (bytes + width > room) break;
      bytes += width;
      i += code >= 0x10000 ? 2 : 1;
    }
    return i;
  }
  if (content instanceof Y.ContentAny || content instanceof Y.ContentJSON) {
    const measure = content instanceof Y.ContentAny ? anyBytes : jsonBytes;
    let bytes = 0;
    let i = 0;
    for (; i < content.arr.length; i++) {
      const width = measure(content.arr[i]);
      if (bytes + width > room) break;
      bytes += width;
    }
    return i;
  }
  return 0;
}

function anyBytes(value: unknown): number {
  const encoder = encoding.createEncoder();
  encoding.writeAny(encoder, value as encoding.AnyEncodable);
  return encoding.length(encoder);
}

function jsonBytes(value: unknown): number {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, value === undefined ? "undefined" : JSON.stringify(value));
  return encoding.length(encoder);
}

/** An upper bound for what an item writes besides its content: info, origins, parent key, lengths. */
function itemHeaderBytes(item: Y.Item): number {
  const keyBytes = (key: unknown) => (typeof key === "string" ? key.length * 3 + 5 : 0);
  return 48 + keyBytes(item.parent) + keyBytes(item.parentSub);
}

/** Yjs's own slicing (updates.js sliceStruct): the right part keeps the parent through its origin. */
function sliceItem(left: Y.Item, diff: number): Y.Item {
  const { client, clock } = left.id;
  const right = new Y.Item(
    Y.createID(client, clock + diff),
    null,
    Y.createID(client, clock + diff - 1),
    null,
    left.rightOrigin,
    left.parent,
    left.parentSub,
    left.content.splice(diff),
  );
  left.length = diff;
  return right;
}

/** Encodes structs as one V1 update; each client's structs become one contiguous run. */
function encodeStructs(structs: Struct[]): Uint8Array {
  const runs = new Map<number, Struct[]>();
  for (const struct of structs) {
    const run = runs.get(struct.id.client);
    if (!run) {
      runs.set(struct.id.client, [struct]);
      continue;
    }
    const last = run[run.length - 1];
    const gap = struct.id.clock - (last.id.clock + last.length);
    if (gap > 0) run.push(new Y.Skip(Y.createID(struct.id.client, last.id.clock + last.length), gap));
    run.push(struct);
  }
  const encoder = new Y.UpdateEncoderV1();
  encoding.writeVarUint(encoder.restEncoder, runs.size);
  for (const [client, run] of runs) {
    encoding.writeVarUint(encoder.restEncoder, run.length);
    encoder.writeClient(client);
    encoding.writeVarUint(encoder.restEncoder, run[0].id.clock);
    for (const struct of run) struct.write(encoder, 0);
  }
  encoding.writeVarUint(encoder.restEncoder, 0);
  return encoder.toUint8Array();
}

/** The delete set as updates without structs, split by client and range to fit the budget. */
function encodeDeleteSets(ds: DeleteSet, budget: number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let batch = new Map<number, { clock: number; len: number }[]>();
  let batchBytes = 0;
  for (const [client, items] of ds.clients) {
    for (const item of items) {
      if (batchBytes + 20 > budget) {
        parts.push(encodeDeleteSet(batch));
        batch = new Map();
        batchBytes = 0;
      }
      const ranges = batch.get(client) ?? [];
      if (ranges.length === 0) {
        batch.set(client, ranges);
        batchBytes += 10;
      }
      ranges.push(item);
      batchBytes += 10;
    }
  }
  if (batch.size > 0) parts.push(encodeDeleteSet(batch));
  return parts;
}

function encodeDeleteSet(clients: Map<number, { clock: number; len: number }[]>): Uint8Array {
  const encoder = new Y.UpdateEncoderV1();
  encoding.writeVarUint(encoder.restEncoder, 0);
  encoding.writeVarUint(encoder.restEncoder, clients.size);
  for (const [client, ranges] of clients) {
    encoder.resetDsCurVal();
    encoding.writeVarUint(encoder.restEncoder, client);
    encoding.writeVarUint(encoder.restEncoder, ranges.length);
    for (const { clock, len } of ranges) {
      encoder.writeDsClock(clock);
      encoder.writeDsLen(len);
    }
  }
  return encoder.toUint8Array();
}
