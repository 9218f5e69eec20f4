// The fuzzer's frame generators: hostile sessions made of valid-but-hostile frames, mutations of
// valid frames and constructed bad frames (truncated varints, huge lengths, corrupt updates,
// forged presence, floods), each with the outcome the oracle or its construction says it must have.
import * as encoding from "lib0/encoding";
import * as Y from "yjs";
import { encodeAwarenessUpdate } from "../../../src/protocol/awareness";
import { CloseCode } from "../../../src/protocol/closeCodes";
import { joinChunks } from "../../../src/storage/chunks";
import {
  encodeAck,
  encodeAckRequest,
  encodeAwareness,
  encodePermissionDenied,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
} from "../../../src/protocol/messages";
import { type FuzzLimits, judge, type Outcome, SessionModel } from "./oracle";

/** Joins frame pieces (the storage layer's join: every call here passes two or more, so the result is a fresh array). */
const joinParts = (...parts: Uint8Array[]) => joinChunks(parts);

/** A seeded random source (mulberry32), so a failing run can be repeated with its seed. */
export class Rng {
  constructor(private state: number) {}

  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

export interface Move {
  frame: Uint8Array | string;
  /** The generator that made it, for the run's statistics. */
  label: string;
  outcome: Outcome;
}

export interface SessionPlan {
  kind: string;
  access: "read" | "write";
  ack: boolean;
  moves: Move[];
  /** How the session must end: closed with a code, or open (checked with a final ack request). */
  end: { kind: "close"; code: number; label: string } | { kind: "open" } | { kind: "open-or-close"; code: number; label: string };
  /** Frames the server answers with permission-denied / sync step 2 / ack, counted from the moves. */
  replies: { "permission-denied": number; "sync-step2": number; ack: number };
}

/** Who the well-behaved clients are, and what the fuzzer must not collide with. */
export interface FuzzWorld {
  limits: FuzzLimits;
  /** Awareness (and Yjs) client ids of the well-behaved clients: owned by them. */
  protectedIds: ReadonlySet<number>;
  /** An update the server already has (64 KiB), resent by update floods as a duplicate. */
  floodPayload: Uint8Array;
  /**
   * The document's state vector as the watcher last mirrored it: a sync step 1 claiming it gets
   * only what changed since. The document grows all run long (the editor's text, every hostile
   * session's content), and answering every hostile step 1 with all of it would spend the run on
   * encoding and copying the document instead of on hostile frames.
   */
  knownState: () => ReadonlyMap<number, number>;
}

/** A state vector claiming what the document held lately, plus `extra` entries. */
export function recentStateVector(world: FuzzWorld, extra: Array<[number, number]> = []): Uint8Array {
  const entries = [...world.knownState().entries(), ...extra];
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const [client, clock] of entries) {
    encoding.writeVarUint(encoder, client);
    encoding.writeVarUint(encoder, clock);
  }
  return encoding.toUint8Array(encoder);
}

const ROOTS = ["h0", "h1", "h2", "h3", "h4", "h5", "h6", "h7"];
const STATES = ['{"user":{"name":"x"}}', '{"cursor":{"anchor":1,"head":3}}', "{}", "[]", "0", '"✓ ünïcødé 🎉"', '{"a":[1,2,{"b":null}]}', "true"];
const BAD_JSON = ["{oops", "", "undefined", "{'a':1}", "NaN", "[1,]", "\u0000", '{"a":'];

/** Builds one hostile session's plan. */
export class SessionGenerator {
  private readonly model: SessionModel;
  private readonly doc = new Y.Doc();
  private readonly sent: Uint8Array[] = [];
  private withheld: Uint8Array | null = null;
  private clock = 0;
  private readonly ownIds: number[];

  constructor(
    private readonly rng: Rng,
    private readonly world: FuzzWorld,
    access: "read" | "write",
    ack: boolean,
  ) {
    this.model = new SessionModel(access, ack, world.protectedIds, world.limits);
    // Hostile ids live above 2^30; the well-behaved clients' ids are below it.
    this.doc.clientID = 2 ** 30 + rng.int(2 ** 30);
    this.ownIds = [this.doc.clientID, 2 ** 30 + rng.int(2 ** 30)];
  }

  /** A mixed session: up to `maxMoves` handled frames, then (usually) one that ends it. */
  mixed(maxMoves: number, terminalChance: number): SessionPlan {
    const moves: Move[] = [];
    const target = 1 + this.rng.int(maxMoves);
    for (let tries = 0; moves.length < target && tries < target * 8; tries++) {
      const candidate = this.candidate();
      const { outcome, commit } = judge(candidate.frame, this.model, candidate.trusted);
      if (outcome.kind !== "ok") continue;
      commit();
      candidate.after?.();
      moves.push({ frame: candidate.frame, label: candidate.label, outcome });
    }
    if (this.rng.chance(terminalChance)) {
      for (let tries = 0; tries < 50; tries++) {
        const candidate = this.rng.chance(0.5) ? this.constructedBad() : this.mutated();
        const { outcome } = judge(candidate.frame, this.model, false);
        if (outcome.kind === "close" || outcome.kind === "applies-or-refused") {
          moves.push({ frame: candidate.frame, label: candidate.label, outcome });
          break;
        }
      }
    }
    return this.plan("mixed", moves);
  }

  /** A presence state larger than MAX_PRESENCE_BYTES for an id of its own: 4414. */
  hugePresence(): SessionPlan {
    const moves = this.mixed(4, 0).moves;
    const size = this.world.limits.maxPresenceBytes + 1 + this.rng.int(this.world.limits.maxPresenceBytes / 2);
    const state = JSON.stringify({ blob: "x".repeat(size) });
    const frame = encodeAwareness(encodeAwarenessUpdate([{ clientId: this.ownIds[1], clock: ++this.clock, state }]));
    moves.push({ frame, label: "huge-presence", outcome: { kind: "close", code: CloseCode.presenceTooLarge, why: "presence over the limit" } });
    return this.plan("huge-presence", moves);
  }

  /** Presence messages far above MAX_PRESENCE_PER_SECOND (several times the burst): 4530. */
  presenceFlood(): SessionPlan {
    const count = Math.ceil(this.world.limits.maxPresencePerSecond * 6) + 10;
    const moves: Move[] = [];
    for (let i = 0; i < count; i++) {
      const state = JSON.stringify({ n: i });
      moves.push({ frame: encodeAwareness(encodeAwarenessUpdate([{ clientId: this.ownIds[0], clock: ++this.clock, state }])), label: "presence-flood", outcome: { kind: "ok" } });
    }
    return { ...this.plan("presence-flood", moves), end: { kind: "close", code: CloseCode.presenceRateExceeded, label: "presence-flood" } };
  }

  /** Update bytes far above MAX_UPDATE_BYTES_PER_SECOND (twice its burst), as duplicates that grow nothing: 4529. */
  updateFlood(): SessionPlan {
    const burst = this.world.limits.maxUpdateBytesPerSecond * 64;
    const count = Math.ceil((2 * burst) / this.world.floodPayload.byteLength) + 2;
    const frame = encodeUpdate(this.world.floodPayload);
    const moves = Array.from({ length: count }, (): Move => ({ frame, label: "update-flood", outcome: { kind: "ok" } }));
    return { ...this.plan("update-flood", moves), end: { kind: "close", code: CloseCode.updateRateExceeded, label: "update-flood" } };
  }

  /** One valid update that would grow the document past MAX_DOCUMENT_BYTES (within the rate burst): 4413. */
  oversizeUpdate(): SessionPlan {
    const text = "y".repeat(this.world.limits.maxDocumentBytes + 128 * 1024 + this.rng.int(64 * 1024));
    const frame = encodeUpdate(this.capture(() => this.doc.getText(this.rng.pick(ROOTS)).insert(0, text)));
    return {
      ...this.plan("oversize-update", [{ frame, label: "oversize-update", outcome: { kind: "ok" } }]),
      end: { kind: "close", code: CloseCode.documentTooLarge, label: "oversize-update" },
    };
  }

  /** Megabytes of random bytes as a read-only client's update (decoding must fail cleanly): 4422. */
  bigJunk(bytes: number): SessionPlan {
    const junk = this.rng.bytes(bytes);
    junk.set([0xff, 0xff, 0xff, 0x0f], 0); // a quarter-billion struct groups announced: decoding runs out of bytes
    const frame = encodeUpdate(junk);
    const { outcome } = judge(frame, this.model, false);
    return this.plan("big-junk", [{ frame, label: "big-junk", outcome }]);
  }

  private plan(kind: string, moves: Move[]): SessionPlan {
    const last = moves.at(-1);
    const end: SessionPlan["end"] =
      last?.outcome.kind === "close"
        ? { kind: "close", code: last.outcome.code, label: last.label }
        : last?.outcome.kind === "applies-or-refused"
          ? { kind: "open-or-close", code: CloseCode.invalidUpdate, label: last.label }
          : { kind: "open" };
    const replies = { "permission-denied": 0, "sync-step2": 0, ack: 0 };
    for (const move of moves) if (move.outcome.kind === "ok" && move.outcome.reply && move.outcome.reply in replies) replies[move.outcome.reply as keyof typeof replies]++;
    return { kind, access: this.model.access, ack: this.model.ack, moves, end, replies };
  }

  /** The update one change of the session's own document produces. */
  private capture(change: () => void): Uint8Array {
    let update: Uint8Array | null = null;
    const grab = (u: Uint8Array) => (update = update ? Y.mergeUpdates([update, u]) : u);
    this.doc.on("update", grab);
    change();
    this.doc.off("update", grab);
    return update ?? Y.encodeStateAsUpdate(new Y.Doc());
  }

  /** A valid change to one of the hostile roots, of varied shape. */
  private validChange(): Uint8Array {
    const root = this.rng.pick(ROOTS);
    const rng = this.rng;
    return this.capture(() =>
      this.doc.transact(() => {
        switch (rng.int(6)) {
          case 0: {
            const text = this.doc.getText(`${root}t`);
            text.insert(rng.int(text.length + 1), rng.pick(["a", "bc", "✓", "🎉", "word "]), rng.chance(0.3) ? { bold: true } : undefined);
            if (text.length > 4 && rng.chance(0.3)) text.delete(rng.int(text.length - 2), 2);
            break;
          }
          case 1:
            this.doc.getMap(`${root}m`).set(`k${rng.int(5)}`, rng.pick([1, "two", null, { nested: [1, 2] }, new Uint8Array([1, 2, 3])]));
            break;
          case 2: {
            const array = this.doc.getArray(`${root}a`);
            if (array.length > 0 && rng.chance(0.3)) array.delete(0, 1);
            else array.push([rng.int(1000), "x"]);
            break;
          }
          case 3: {
            const xml = this.doc.getXmlFragment(`${root}x`);
            const element = new Y.XmlElement(rng.pick(["p", "h1", "li"]));
            element.setAttribute("class", "c");
            element.insert(0, [new Y.XmlText("t")]);
            xml.insert(xml.length, [element]);
            break;
          }
          case 4: {
            const map = this.doc.getMap(`${root}m`);
            const inner = new Y.Map<unknown>();
            map.set(`sub${rng.int(3)}`, inner);
            inner.set("deep", new Y.Array());
            break;
          }
          default:
            this.doc.getText(`${root}t`).insert(0, "z".repeat(1 + rng.int(40)));
        }
      }),
    );
  }

  private candidate(): { frame: Uint8Array | string; label: string; trusted?: boolean; after?: () => void } {
    const rng = this.rng;
    switch (rng.int(14)) {
      case 0:
      case 1: {
        const update = this.validChange();
        // Written as the stock provider does (update) or as a sync reply (step 2).
        return { frame: rng.chance(0.8) ? encodeUpdate(update) : encodeSyncStep2(update), label: "valid-update", trusted: true, after: () => this.sent.push(update) };
      }
      case 2:
        if (this.sent.length === 0) return this.candidate();
        return { frame: encodeUpdate(rng.pick(this.sent)), label: "duplicate-update", trusted: true };
      case 3: {
        // An update whose dependency is withheld: it waits in the server's pending state.
        if (!this.withheld || rng.chance(0.7)) {
          this.withheld = this.validChange();
          return { frame: encodeUpdate(this.validChange()), label: "pending-update", trusted: true };
        }
        const update = this.withheld;
        this.withheld = null;
        return { frame: encodeUpdate(update), label: "dependency-update", trusted: true };
      }
      case 4:
        return { frame: encodeSyncStep2(Y.encodeStateAsUpdate(new Y.Doc())), label: "empty-step2", trusted: true };
      case 5:
        if (rng.chance(0.5)) return { frame: encodeQueryAwareness(), label: "query-awareness" };
        return { frame: encodeSyncStep1(this.stateVector()), label: "step1" };
      case 6:
        return { frame: encodeQueryAwareness(), label: "query-awareness" };
      case 7:
        return { frame: encodeAckRequest(rng.int(2 ** 31)), label: "ack-request" };
      case 8:
        return { frame: "ping", label: "ping" };
      case 9:
      case 10:
        return { frame: this.ownPresence(), label: "own-presence" };
      case 11:
        return { frame: this.forgedPresence(), label: "forged-presence" };
      default: {
        const mutated = this.mutated();
        return { frame: mutated.frame, label: mutated.label };
      }
    }
  }

  /** A state vector, sometimes with huge clocks or many clients. */
  /** A state vector with odd entries (huge clocks, unknown clients); most claim what the document held lately. */
  private stateVector(): Uint8Array {
    const extra = Array.from({ length: this.rng.int(4) }, (): [number, number] => [
      this.rng.pick([this.doc.clientID, this.rng.int(2 ** 32), ...this.world.protectedIds]),
      this.rng.pick([0, 1, this.rng.int(1000), 2 ** 40, Number.MAX_SAFE_INTEGER]),
    ]);
    if (this.rng.chance(0.05)) return recentStateVector({ ...this.world, knownState: () => new Map() }, extra); // the whole document
    return recentStateVector(this.world, extra);
  }

  private ownPresence(): Uint8Array {
    const entries = [{ clientId: this.rng.pick(this.ownIds), clock: ++this.clock, state: this.rng.chance(0.15) ? "null" : this.rng.pick(STATES) }];
    return encodeAwareness(encodeAwarenessUpdate(entries));
  }

  /** Entries for the well-behaved clients' ids (move their cursor, remove them), maybe beside an own entry. */
  private forgedPresence(): Uint8Array {
    const victims = [...this.world.protectedIds];
    const entries = [{ clientId: this.rng.pick(victims), clock: this.rng.pick([0, 1, 10 ** 6, 2 ** 40]), state: this.rng.chance(0.3) ? "null" : '{"user":{"name":"mallory"}}' }];
    if (this.rng.chance(0.4)) entries.push({ clientId: this.ownIds[0], clock: ++this.clock, state: "{}" });
    return encodeAwareness(encodeAwarenessUpdate(entries));
  }

  /** A valid frame of any kind, as the base of a mutation. */
  private baseFrame(): Uint8Array {
    switch (this.rng.int(8)) {
      case 0:
      case 1:
        return encodeUpdate(this.validChangeWithoutKeeping());
      case 2:
        return encodeSyncStep2(this.validChangeWithoutKeeping());
      case 3:
        return encodeSyncStep1(this.stateVector());
      case 4:
      case 5:
        return this.ownPresence();
      case 6:
        return encodeAckRequest(this.rng.int(1000));
      default:
        return this.rng.pick([encodeQueryAwareness(), encodePermissionDenied("no"), encodeAck(3)]);
    }
  }

  /** A change made on a copy, so the session's own document never holds what a mutation may have lost. */
  private validChangeWithoutKeeping(): Uint8Array {
    // The session's second id (Yjs replaces the id of a document that receives content under its
    // own id): a writer's mutated update is its last frame, so no two of them meet on the server.
    const copy = new Y.Doc();
    copy.clientID = this.ownIds[1];
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(this.doc));
    let update: Uint8Array | null = null;
    copy.on("update", (u: Uint8Array) => (update = u));
    copy.getText(`${this.rng.pick(ROOTS)}t`).insert(0, "mutate me");
    return update!;
  }

  /** A valid frame with one to three random mutations. */
  mutated(): { frame: Uint8Array; label: string } {
    let frame = this.baseFrame();
    const operations: string[] = [];
    for (let i = 1 + this.rng.int(3); i > 0; i--) {
      const [name, next] = this.mutate(frame);
      operations.push(name);
      frame = next;
    }
    return { frame, label: `mutated:${operations[0]}` };
  }

  private mutate(frame: Uint8Array): [string, Uint8Array] {
    const rng = this.rng;
    const at = frame.length === 0 ? 0 : rng.int(frame.length);
    switch (rng.int(9)) {
      case 0: {
        const out = frame.slice();
        if (out.length) out[at] ^= 1 << rng.int(8);
        return ["bit-flip", out];
      }
      case 1: {
        const out = frame.slice();
        if (out.length) out[at] = rng.pick([0, 0x7f, 0x80, 0xff, rng.int(256)]);
        return ["byte-set", out];
      }
      case 2:
        return ["truncate", frame.slice(0, at)];
      case 3:
        return ["insert", joinParts(frame.slice(0, at), rng.bytes(1 + rng.int(4)), frame.slice(at))];
      case 4:
        return ["delete", joinParts(frame.slice(0, at), frame.slice(at + 1 + rng.int(3)))];
      case 5:
        return ["append", joinParts(frame, rng.bytes(1 + rng.int(8)))];
      case 6:
        // A varint that never ends, or that overflows 2^53.
        return ["varint-overflow", joinParts(frame.slice(0, at), new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), frame.slice(at + 1))];
      case 7: {
        // A length prefix (or any varint) replaced by a huge one.
        const huge = encoding.createEncoder();
        encoding.writeVarUint(huge, rng.pick([2 ** 31, 2 ** 40, 2 ** 52, 0xffffffff]));
        return ["huge-length", joinParts(frame.slice(0, at), encoding.toUint8Array(huge), frame.slice(at + 1))];
      }
      default: {
        const from = rng.int(frame.length + 1);
        return ["duplicate-slice", joinParts(frame.slice(0, at), frame.slice(from, from + 1 + rng.int(8)), frame.slice(at))];
      }
    }
  }

  /** A bad frame built to break one rule, of every kind PROTOCOL.md names. */
  constructedBad(): { frame: Uint8Array | string; label: string } {
    const rng = this.rng;
    const varUint = (...values: number[]) => {
      const encoder = encoding.createEncoder();
      for (const value of values) encoding.writeVarUint(encoder, value);
      return encoding.toUint8Array(encoder);
    };
    switch (rng.int(16)) {
      case 0:
        return { frame: rng.pick([new Uint8Array([0x80]), new Uint8Array([0xff, 0xff]), new Uint8Array([0x00, 0x82]), new Uint8Array([0x01, 0x85]), new Uint8Array([0x64, 0x80]), new Uint8Array([0x64, 0x00, 0xff]), new Uint8Array([0x00, 0x02, 0x90])]), label: "truncated-varint" };
      case 1:
        return { frame: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), label: "varint-overflow" };
      case 2:
        return { frame: joinParts(varUint(0, rng.int(3), rng.pick([2 ** 31, 2 ** 45, 0xffffffff])), rng.bytes(rng.int(16))), label: "huge-length" };
      case 3:
        return { frame: joinParts(varUint(1, rng.pick([2 ** 30, 2 ** 50])), rng.bytes(rng.int(16))), label: "huge-length" };
      case 4:
        return { frame: new Uint8Array(0), label: "empty-frame" };
      case 5:
        return { frame: joinParts(this.baseFrame(), rng.bytes(1 + rng.int(8))), label: "trailing-bytes" };
      case 6:
        return { frame: varUint(rng.pick([4, 5, 42, 99, 101, 255, 2 ** 20 + rng.int(1000)])), label: "unknown-type" };
      case 7:
        return {
          frame: rng.pick([joinParts(varUint(0, 3 + rng.int(100)), varUint(0)), varUint(2, 1 + rng.int(50)), varUint(100, 2 + rng.int(50), 1)]),
          label: "unknown-subtype",
        };
      case 8:
        return { frame: rng.pick([encodePermissionDenied("I am the server"), encodeAck(rng.int(100))]), label: "server-to-client" };
      case 9:
        return { frame: rng.pick(["PING", "ping ", "", "hello", "{\"type\":\"sync\"}", "pong"]), label: "text-frame" };
      case 10:
        return { frame: encodeUpdate(joinParts(varUint(1 + rng.int(5)), rng.bytes(3 + rng.int(40)))), label: "corrupt-update" };
      case 11: {
        const update = this.validChangeWithoutKeeping();
        return { frame: encodeUpdate(update.slice(0, 1 + rng.int(update.length - 1))), label: "truncated-update" };
      }
      case 12:
        return { frame: encodeSyncStep1(joinParts(varUint(3 + rng.int(5)), rng.bytes(rng.int(3)))), label: "invalid-state-vector" };
      case 13:
        return { frame: encodeAwareness(encodeAwarenessUpdate([{ clientId: this.ownIds[0], clock: ++this.clock, state: rng.pick(BAD_JSON) }])), label: "awareness-bad-json" };
      case 14: {
        const awareness = encodeAwarenessUpdate([{ clientId: this.ownIds[0], clock: ++this.clock, state: '{"name":"cut"}' }]);
        return { frame: encodeAwareness(awareness.slice(0, 1 + rng.int(awareness.length - 1))), label: "awareness-truncated" };
      }
      default:
        return this.model.ack ? { frame: encodeAck(rng.int(100)), label: "server-to-client" } : { frame: encodeAckRequest(1), label: "ack-without-extension" };
    }
  }
}
