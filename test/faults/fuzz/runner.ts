// Runs hostile sessions against the fuzzed document and compares how each one ends with its plan;
// keeps the run's figures. Transport-neutral: the tests give it a Connect for workerd or for Node.
import { decodeMessage, encodeAckRequest, encodeSyncStep1 } from "../../../src/protocol/messages";
import { type FuzzWorld, Rng, recentStateVector, SessionGenerator, type SessionPlan } from "./frames";
import { type Connect, isRefusal } from "./transport";

/** How often each kind of hostile session is picked; the rest are mixed sessions. */
export interface SessionMix {
  hugePresence: number;
  presenceFlood: number;
  updateFlood: number;
  oversizeUpdate: number;
  bigJunk: number;
  /** Frames over the runtime's 32 MiB message limit (only where the runtime enforces it: real sockets). */
  overMessageLimit: number;
}

export interface Mismatch {
  /** What went wrong: how the session ended, the answers to its frames, or the close reason. */
  kind: "ending" | "replies" | "reason" | "undecodable";
  session: string;
  expected: string;
  actual: string;
  frames: string;
  lastFrame: string;
}

/** A session's answer never takes this long, even on a loaded machine; past it, it counts as a failure. */
const SESSION_TIMEOUT_MS = 120_000;
/** The final control ack's sequence number; hostile ack requests stay below 2^31. */
const CONTROL_SEQ = 2 ** 31 + 1;
/** The runtime closes a socket whose message exceeds 32 MiB with 1009. */
const MESSAGE_TOO_BIG = 1009;

export class FuzzRun {
  frames = 0;
  sessions = 0;
  readonly mismatches: Mismatch[] = [];
  readonly labels = new Map<string, number>();
  readonly endings = new Map<string, number>();
  /** Special sessions started, by kind. */
  private readonly started = new Map<keyof SessionMix, number>();
  /** Milliseconds spent per kind of session, from connecting to its end. */
  readonly time = new Map<string, number>();
  private sessionNumber = 0;

  constructor(
    private readonly connect: Connect,
    private readonly world: FuzzWorld,
    readonly rng: Rng,
    private readonly mix: SessionMix,
  ) {}

  /** Picks the next hostile session. */
  nextPlan(): SessionPlan {
    const { rng, world, mix } = this;
    const generator = (access: "read" | "write", ack: boolean) => new SessionGenerator(rng, world, access, ack);
    // Every special kind the mix names runs at least twice, however the dice fall.
    const owed = (Object.keys(mix) as Array<keyof SessionMix>).find((kind) => mix[kind] > 0 && (this.started.get(kind) ?? 0) < 2);
    let roll = rng.next();
    const take = (share: number, kind: keyof SessionMix): boolean => {
      const chosen = owed ? owed === kind : (roll -= share) < 0;
      if (chosen) this.started.set(kind, (this.started.get(kind) ?? 0) + 1);
      return chosen;
    };
    if (take(mix.hugePresence, "hugePresence")) return generator("write", rng.chance(0.5)).hugePresence();
    if (take(mix.presenceFlood, "presenceFlood")) return generator(rng.chance(0.5) ? "read" : "write", true).presenceFlood();
    if (take(mix.updateFlood, "updateFlood")) return generator("write", true).updateFlood();
    if (take(mix.oversizeUpdate, "oversizeUpdate")) return generator("write", true).oversizeUpdate();
    if (take(mix.bigJunk, "bigJunk")) return generator("read", true).bigJunk(256 * 1024 + rng.int(3 * 1024 * 1024));
    if (take(mix.overMessageLimit, "overMessageLimit")) return overMessageLimit(rng);
    return generator(rng.chance(0.6) ? "write" : "read", rng.chance(0.9)).mixed(48, 0.85);
  }

  /** Runs sessions on `concurrency` connections at once until `frames` frames have been sent in all. */
  async runUntil(frames: number, concurrency: number, stop: () => boolean): Promise<void> {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (this.frames < frames && !stop()) await this.run(this.nextPlan());
      }),
    );
  }

  /** Runs one hostile session to its end and compares the ending with the plan. */
  async run(plan: SessionPlan): Promise<void> {
    const startedAt = Date.now();
    try {
      await this.session(plan);
    } finally {
      this.time.set(plan.kind, (this.time.get(plan.kind) ?? 0) + Date.now() - startedAt);
    }
  }

  private async session(plan: SessionPlan): Promise<void> {
    const socket = await this.connect({ access: plan.access, userId: `hostile-${++this.sessionNumber}`, ack: plan.ack });
    if (isRefusal(socket)) return this.mismatch("ending", plan, "an open connection", `upgrade refused: ${socket.status} ${JSON.stringify(socket.body)}`);
    const replies = { "permission-denied": 0, "sync-step2": 0, ack: 0 };
    let control = false;
    let undecodable = 0;
    let wake!: () => void;
    const woken = () => new Promise<void>((resolve) => (wake = resolve));
    let changed = woken();
    socket.onFrame((frame) => {
      let message;
      try {
        message = decodeMessage(frame);
      } catch {
        undecodable++;
        return;
      }
      if (message.type === "ack" && message.seq === CONTROL_SEQ) control = true;
      else if (message.type === "sync-step2" && !plan.ack && replies["sync-step2"] === plan.replies["sync-step2"]) control = true;
      else if (message.type in replies) replies[message.type as keyof typeof replies]++;
      if (control) wake();
    });
    void socket.closed.then(() => wake());

    for (const move of plan.moves) socket.send(move.frame);
    // A control frame after the last: its answer proves every frame before it was handled. After
    // a frame that must close the connection it is never handled, and an answer to it is a failure.
    socket.send(plan.ack ? encodeAckRequest(CONTROL_SEQ) : encodeSyncStep1(recentStateVector(this.world)));
    this.frames += plan.moves.length;
    this.sessions++;
    for (const move of plan.moves) this.labels.set(move.label, (this.labels.get(move.label) ?? 0) + 1);

    const deadline = Date.now() + SESSION_TIMEOUT_MS;
    while (!socket.closedWith && !control && Date.now() < deadline) {
      await Promise.race([changed, new Promise((resolve) => setTimeout(resolve, 1000))]);
      changed = woken();
    }
    const closed = socket.closedWith;
    const ending = closed ? `closed ${closed.code}` : control ? "open" : "no answer";
    if (!closed) socket.close(1000, "done");

    const planned = plan.end.kind === "open" ? "open" : plan.end.label;
    this.endings.set(`${planned} -> ${ending}`, (this.endings.get(`${planned} -> ${ending}`) ?? 0) + 1);
    const expected = plan.end.kind === "open" ? "open" : plan.end.kind === "close" ? `closed ${plan.end.code}` : `open or closed ${plan.end.code}`;
    const endingOk = ending === expected || (plan.end.kind === "open-or-close" && (ending === "open" || ending === `closed ${plan.end.code}`));
    if (!endingOk) return this.mismatch("ending", plan, expected, closed ? `${ending} (${closed.reason})` : ending);
    if (closed && closed.reason === "" && closed.code !== MESSAGE_TOO_BIG) return this.mismatch("reason", plan, "a close reason", "an empty reason");
    if (undecodable > 0) return this.mismatch("undecodable", plan, "only decodable frames from the server", `${undecodable} undecodable`);
    // Every frame before the closing one was handled, in order, so its replies all came.
    const counted = plan.end.kind === "open-or-close" && ending !== "open" ? null : replies;
    if (counted && plan.kind !== "over-message-limit" && JSON.stringify(counted) !== JSON.stringify(plan.replies)) {
      return this.mismatch("replies", plan, `replies ${JSON.stringify(plan.replies)}`, `replies ${JSON.stringify(counted)}`);
    }
  }

  private mismatch(kind: Mismatch["kind"], plan: SessionPlan, expected: string, actual: string): void {
    const last = plan.moves.at(-1)?.frame;
    const hex =
      typeof last === "string"
        ? JSON.stringify(last)
        : last
          ? Array.from(last.slice(0, 48), (b) => b.toString(16).padStart(2, "0")).join(" ") + (last.length > 48 ? ` ... (${last.length} bytes)` : "")
          : "(none)";
    this.mismatches.push({
      kind,
      session: `${plan.kind} (${plan.access}${plan.ack ? ", ack" : ""}, ${plan.moves.length} frames)`,
      expected,
      actual,
      frames: plan.moves.map((m) => m.label).slice(-6).join(", "),
      lastFrame: hex,
    });
  }

  /** The figures, for the closing note. */
  summary(): { sessions: string; endings: string; frames: string; time: string } {
    const top = (map: Map<string, number>) => [...map.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}: ${v}`).join("; ");
    const kinds = new Map<string, number>();
    for (const [ending, n] of this.endings) kinds.set(ending.split(" -> ")[0], (kinds.get(ending.split(" -> ")[0]) ?? 0) + n);
    return { sessions: top(kinds), endings: top(this.endings), frames: top(this.labels), time: top(new Map([...this.time].map(([k, ms]) => [k, Math.round(ms / 1000)]))) };
  }
}

/** A frame larger than the runtime's 32 MiB message limit: the runtime itself closes with 1009. */
function overMessageLimit(rng: Rng): SessionPlan {
  const frame = new Uint8Array(32 * 1024 * 1024 + 1 + rng.int(1024 * 1024));
  frame.set([0, 2], 0); // a sync update header; the rest does not matter
  return {
    kind: "over-message-limit",
    access: "read",
    ack: true,
    moves: [{ frame, label: "over-message-limit", outcome: { kind: "close", code: MESSAGE_TOO_BIG, why: "message over 32 MiB" } }],
    end: { kind: "close", code: MESSAGE_TOO_BIG, label: "over-message-limit" },
    replies: { "permission-denied": 0, "sync-step2": 0, ack: 0 },
  };
}
