// The fuzzer's oracle: what the server must do with one frame on one connection, read from
// PROTOCOL.md and the limits contract, not from the server's code. A frame's fields are read in the
// order its layout declares, with lib0 (which defines varUint, varBytes and varString); a frame
// fails at the first field that does not decode. Some frames are fine in themselves but would
// bring a well-behaved connection near a limit, where the answer depends on timing: the oracle
// calls those "over budget" and the generator does not use them.
import * as decoding from "lib0/decoding";
import * as Y from "yjs";
import { CloseCode } from "../../../src/protocol/closeCodes";

/** The limits the fault project's workerd runs with (vitest.config.ts, FAULT_LIMITS). */
export interface FuzzLimits {
  maxDocumentBytes: number;
  maxPresenceBytes: number;
  maxPresencePerSecond: number;
  maxUpdateBytesPerSecond: number;
  maxConnectionsPerDocument: number;
  maxConnectionsPerUser: number;
}

export type Reply = "permission-denied" | "sync-step2" | "awareness" | "ack";

export type Outcome =
  /** Handled, the connection stays open; `reply` is a frame the server sends back for it. */
  | { kind: "ok"; reply?: Reply }
  /** The connection is closed with `code`; nothing of the frame is stored. */
  | { kind: "close"; code: number; why: string }
  /**
   * A Yjs update that decodes and carries changes, from a writer, which nobody vouches for: Yjs
   * either applies it (open) or throws while applying it (4422, nothing stored). Only ever the
   * last frame of a session, so the rest of the session does not depend on which.
   */
  | { kind: "applies-or-refused" }
  /** Legal, but would bring this connection near a rate or size limit: not used. */
  | { kind: "over-budget" };

/** What the server knows about one hostile connection, as far as the oracle needs it. */
export class SessionModel {
  updateBytes = 0;
  awarenessFrames = 0;
  /** Upper bound of the presence this connection holds, in the server's measure (32 + bytes per entry). */
  presenceCost = 0;

  constructor(
    readonly access: "read" | "write",
    readonly ack: boolean,
    /** Awareness client ids owned by other connections (the well-behaved clients'). */
    readonly foreignIds: ReadonlySet<number>,
    readonly limits: FuzzLimits,
  ) {}

  /** Budgets that keep a well-behaved-sized session far from every limit, whatever the timing. */
  get awarenessFrameBudget(): number {
    return Math.floor(this.limits.maxPresencePerSecond);
  }
  get presenceBudget(): number {
    return Math.floor(this.limits.maxPresenceBytes * 0.6);
  }
  get updateByteBudget(): number {
    return Math.floor(this.limits.maxUpdateBytesPerSecond * 4);
  }
}

/** A change the judged frame makes to the model; applied only if the frame is used. */
export interface Judgement {
  outcome: Outcome;
  commit: () => void;
}

const close = (code: number, why: string): Judgement => ({ outcome: { kind: "close", code, why }, commit: () => {} });
const ok = (reply?: Reply, commit: () => void = () => {}): Judgement => ({ outcome: { kind: "ok", reply }, commit });
const overBudget: Judgement = { outcome: { kind: "over-budget" }, commit: () => {} };

/**
 * Judges one frame sent on a connection described by `model`. `trusted` marks an update the
 * generator made with a real Y.Doc from content the server has, so it applies cleanly.
 */
export function judge(frame: Uint8Array | string, model: SessionModel, trusted = false): Judgement {
  if (typeof frame === "string") return frame === "ping" ? ok() : close(CloseCode.malformedMessage, "a text frame other than ping");
  const decoder = decoding.createDecoder(frame);
  const read = <T>(field: () => T): T | typeof MALFORMED => {
    try {
      return field();
    } catch {
      return MALFORMED;
    }
  };
  const type = read(() => decoding.readVarUint(decoder));
  if (type === MALFORMED) return close(CloseCode.malformedMessage, "no message type");
  const trailing = () => decoding.hasContent(decoder);
  switch (type) {
    case 0: {
      const syncType = read(() => decoding.readVarUint(decoder));
      if (syncType === MALFORMED) return close(CloseCode.malformedMessage, "truncated sync type");
      const payload = read(() => decoding.readVarUint8Array(decoder));
      if (payload === MALFORMED) return close(CloseCode.malformedMessage, "truncated sync payload");
      if (syncType > 2) return close(CloseCode.unsupportedMessage, `sync type ${syncType}`);
      if (trailing()) return close(CloseCode.malformedMessage, "trailing bytes after a sync message");
      if (syncType === 0) return judgeStateVector(payload);
      return judgeUpdate(payload, model, trusted);
    }
    case 1: {
      const update = read(() => decoding.readVarUint8Array(decoder));
      if (update === MALFORMED) return close(CloseCode.malformedMessage, "truncated awareness");
      if (trailing()) return close(CloseCode.malformedMessage, "trailing bytes after awareness");
      return judgeAwareness(update, model);
    }
    case 2: {
      const subType = read(() => decoding.readVarUint(decoder));
      if (subType === MALFORMED) return close(CloseCode.malformedMessage, "truncated auth type");
      if (subType !== 0) return close(CloseCode.unsupportedMessage, `auth type ${subType}`);
      const reason = read(() => decoding.readVarString(decoder));
      if (reason === MALFORMED) return close(CloseCode.malformedMessage, "truncated permission-denied reason");
      if (trailing()) return close(CloseCode.malformedMessage, "trailing bytes after auth");
      return close(CloseCode.unsupportedMessage, "permission-denied is server to client");
    }
    case 3:
      if (trailing()) return close(CloseCode.malformedMessage, "trailing bytes after query-awareness");
      return ok("awareness"); // the well-behaved clients are always present
    case 100: {
      const subType = read(() => decoding.readVarUint(decoder));
      if (subType === MALFORMED) return close(CloseCode.malformedMessage, "truncated ack type");
      const seq = read(() => decoding.readVarUint(decoder));
      if (seq === MALFORMED) return close(CloseCode.malformedMessage, "truncated ack seq");
      if (subType > 1) return close(CloseCode.unsupportedMessage, `ack type ${subType}`);
      if (trailing()) return close(CloseCode.malformedMessage, "trailing bytes after ack");
      if (subType === 1) return close(CloseCode.unsupportedMessage, "ack is server to client");
      return model.ack ? ok("ack") : close(CloseCode.unsupportedMessage, "ack extension not requested");
    }
    default:
      return close(CloseCode.unsupportedMessage, `message type ${type}`);
  }
}

const MALFORMED = Symbol("malformed");

function judgeStateVector(stateVector: Uint8Array): Judgement {
  try {
    Y.decodeStateVector(stateVector);
  } catch {
    return close(CloseCode.malformedMessage, "invalid state vector");
  }
  return ok("sync-step2");
}

function judgeUpdate(update: Uint8Array, model: SessionModel, trusted: boolean): Judgement {
  let hasChanges: boolean;
  const decode = () => {
    const { structs, ds } = Y.decodeUpdate(update);
    return structs.length > 0 || ds.clients.size > 0;
  };
  if (model.access === "read") {
    try {
      hasChanges = decode();
    } catch {
      return close(CloseCode.invalidUpdate, "an update that does not decode (read-only)");
    }
    return ok(hasChanges ? "permission-denied" : undefined);
  }
  // A writer's update bytes count against its user's rate before anything else.
  if (model.updateBytes + update.byteLength > model.updateByteBudget) return overBudget;
  const commit = () => void (model.updateBytes += update.byteLength);
  try {
    hasChanges = decode();
  } catch {
    return { outcome: { kind: "close", code: CloseCode.invalidUpdate, why: "an update that does not decode" }, commit };
  }
  if (!hasChanges || trusted) return ok(undefined, commit);
  return { outcome: { kind: "applies-or-refused" }, commit };
}

function judgeAwareness(update: Uint8Array, model: SessionModel): Judgement {
  // The presence rate counts every awareness message, before it is decoded.
  if (model.awarenessFrames + 1 > model.awarenessFrameBudget) return overBudget;
  const countFrame = () => void model.awarenessFrames++;
  const decoder = decoding.createDecoder(update);
  const entries: Array<{ clientId: number; state: string }> = [];
  try {
    const count = decoding.readVarUint(decoder);
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(decoder);
      decoding.readVarUint(decoder); // clock
      const state = decoding.readVarString(decoder);
      JSON.parse(state);
      entries.push({ clientId, state });
    }
    if (decoding.hasContent(decoder)) throw new Error("trailing");
  } catch {
    return { outcome: { kind: "close", code: CloseCode.malformedMessage, why: "malformed awareness" }, commit: countFrame };
  }
  // Entries for ids another connection owns are dropped, silently; the rest are this connection's.
  const allowed = entries.filter((entry) => !model.foreignIds.has(entry.clientId));
  const oversized = allowed.find((entry) => entry.state !== "null" && utf8Bytes(entry.state) > model.limits.maxPresenceBytes);
  if (oversized) return { outcome: { kind: "close", code: CloseCode.presenceTooLarge, why: "a presence state over the limit" }, commit: countFrame };
  const cost = allowed.reduce((sum, entry) => sum + 32 + 2 * utf8Bytes(entry.state), 0);
  if (model.presenceCost + cost > model.presenceBudget) return overBudget;
  return ok(allowed.length > 0 ? "awareness" : undefined, () => {
    countFrame();
    model.presenceCost += cost;
  });
}

const utf8Bytes = (text: string) => new TextEncoder().encode(text).byteLength;
