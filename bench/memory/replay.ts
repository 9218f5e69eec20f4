// A B4 replay on one document, timed in slices (every tenth of the trace), so a per-update cost that
// grows with the document's history shows up: rate, server CPU per update and heap per slice.
import { readFileSync } from "node:fs";
import * as Y from "yjs";
import { connect, type RawClient } from "../throughput/client.ts";
import { Mirror } from "../throughput/mirror.ts";
import { TEXT, type ReplayUpdates } from "../throughput/trace.ts";
import { type ProfileSummary, startProfile } from "./cpuProfile.ts";
import { byRole, type QuireServer, type Role } from "./server.ts";

export interface Slice {
  /** Updates relayed to the reader by the end of the slice. */
  through: number;
  ms: number;
  updatesPerSecond: number;
  /** CPU time per update during the slice, microseconds, by process. */
  cpuMicros: Partial<Record<Role | "bench client", number>>;
  /** The machine's CPU use during the slice, in cores (of all processes, also other users'). */
  machineCores: number;
}

/** Functions on Quire's update path and its deferred work, timed inclusively in profiles. */
export const WATCHED = [
  "webSocketMessage", "receive", "handle", "integrate", "readUpdate", "decodeMessage", "applyUpdate", "append", "afterAppend",
  "recordEdit", "markDirty", "noteAppend", "broadcast", "connections", "send", "alarm", "runIfDue", "syncNow", "record",
  "encodedSize", "stats", "compactOnce", "encodeStateAsUpdate", "sha256Hex", "trimThrough", "applyRetention", "fetch",
];

export interface ReplayOptions {
  /** Most updates sent ahead of what the reader has received. */
  window: number;
  slices: number;
  /** Take the isolate's CPU profile over the whole replay. */
  profile?: boolean;
}

export interface Replay {
  doc: string;
  updates: number;
  ms: number;
  updatesPerSecond: number;
  slices: Slice[];
  /** The isolate's CPU profile over the whole replay, when asked for. */
  profile?: ProfileSummary;
  /** When the reader received the last update (performance.now()), and workerd (Worker) CPU then. */
  end: { at: number; workerCpuSeconds: number };
  /** The reader and writer, still connected; the caller closes them. */
  clients: RawClient[];
}

/**
 * One writer sends one update per patch, at most `window` ahead of what the reader has received;
 * the server relays each to the reader (one relayed update per B4 patch). Checks the final text with
 * a fresh client at the end.
 */
export async function replay(server: QuireServer, doc: string, trace: ReplayUpdates, options: ReplayOptions): Promise<Replay> {
  const url = `${server.wsBase}/ws/${doc}?token=${await server.token(doc)}`;
  const n = trace.updates.length;
  const bounds = Array.from({ length: options.slices }, (_, i) => Math.round(((i + 1) * n) / options.slices));
  const marks: Mark[] = [];
  let received = 0;
  let wake: { at: number; resolve: () => void } | null = null;
  // The server relays a batch as one merged update, so progress is counted in patches, not frames:
  // every B4 patch inserts or deletes one character, so 2 × the writer's clock − the text's length
  // is the number of patches the reader has seen.
  const mirror = new Mirror();
  const progress = () => 2 * Y.getState(mirror.doc.store, trace.clientID) - mirror.text.length;
  mirror.onApplied = () => {
    received = progress();
    // Slices are sampled (from /proc) as the reader's count crosses each bound, without pausing
    // the writer: a pause lets the document's alarm run (compaction, index sync), which a steady
    // stream holds off, and the inspector is not answered until the stream pauses either.
    while (marks.length <= bounds.length && received >= bounds[marks.length - 1]) marks.push(mark(server));
    if (wake && received >= wake.at) {
      const { resolve } = wake;
      wake = null;
      resolve();
    }
  };
  const reader = await connect({ url, dialect: "y-websocket", docName: doc, doc: mirror.doc, onUpdate: mirror.apply });
  const writer = await connect({ url, dialect: "y-websocket", docName: doc });
  const clients = [reader, writer];
  try {
    const frames = trace.updates.map((update) => writer.codec.update(update));
    const until = (count: number) => (received >= count ? Promise.resolve() : new Promise<void>((resolve) => (wake = { at: count, resolve })));
    const profiler = options.profile ? await startProfile(server.inspector) : null;
    marks.push(mark(server));
    for (let sent = 0; sent < n; ) {
      if (sent - received >= options.window) await withTimeout(until(sent - options.window + 1), 120_000, `replay of ${doc}: ${received} of ${sent} updates relayed`);
      writer.sendFrame(frames[sent++]);
    }
    await withTimeout(until(n), 120_000, `replay of ${doc}: ${received} of ${n} updates relayed`);
    const profile = await profiler?.stop(WATCHED);
    const slices: Slice[] = [];
    for (const [i, bound] of bounds.entries()) {
      const [from, to] = [marks[i], marks[i + 1]];
      const count = bound - (i === 0 ? 0 : bounds[i - 1]);
      const ms = to.at - from.at;
      const per = (seconds: number) => (seconds / count) * 1e6;
      const cpuMicros: Slice["cpuMicros"] = {};
      for (const role of Object.keys(to.cpu) as Role[]) cpuMicros[role] = per((to.cpu[role] ?? 0) - (from.cpu[role] ?? 0));
      cpuMicros["bench client"] = per(to.self - from.self);
      slices.push({
        through: bound,
        ms,
        updatesPerSecond: (count / ms) * 1000,
        cpuMicros,
        machineCores: (to.machine - from.machine) / (ms / 1000),
      });
    }
    const ms = marks.at(-1)!.at - marks[0].at;
    await checkText(server, doc, trace.expected);
    const last = marks.at(-1)!;
    const end = { at: last.at, workerCpuSeconds: last.cpu["worker-workerd"] ?? 0 };
    return { doc, updates: n, ms, updatesPerSecond: (n / ms) * 1000, slices, profile, end, clients };
  } catch (error) {
    for (const client of clients) client.close();
    throw error;
  }
}

interface Mark {
  at: number;
  cpu: Partial<Record<Role, number>>;
  /** This process's CPU time, seconds. */
  self: number;
  machine: number;
}

function mark(server: QuireServer): Mark {
  const self = process.cpuUsage();
  return { at: performance.now(), cpu: cpuByRole(server), self: (self.user + self.system) / 1e6, machine: machineCpuSeconds() };
}

/** Busy CPU time of the whole machine so far (all cores, every process), seconds. */
function machineCpuSeconds(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / 100;
}

function cpuByRole(server: QuireServer): Partial<Record<Role, number>> {
  return Object.fromEntries(Object.entries(byRole(server.processes())).map(([role, s]) => [role, s.cpuSeconds]));
}

/** A new client syncs the document; its text must equal `expected`. */
export async function checkText(server: QuireServer, doc: string, expected: string): Promise<void> {
  const mirror = new Y.Doc();
  const client = await connect({
    url: `${server.wsBase}/ws/${doc}?token=${await server.token(doc)}`,
    dialect: "y-websocket",
    docName: doc,
    doc: mirror,
    onUpdate: (update) => Y.applyUpdate(mirror, update),
  });
  client.close();
  const text = mirror.getText(TEXT).toString();
  if (text !== expected) throw new Error(`${doc}: the synced text differs from the trace's (${text.length} vs ${expected.length} chars)`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
