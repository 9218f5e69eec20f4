// The servers under test: Quire under a real `wrangler dev`, and the peers as Node child processes.
// Each gives a WebSocket URL per document, its dialect, and the resident memory of its processes.
import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import type { Dialect } from "./client.ts";
import { freePort, startWranglerDev } from "../../test/helpers/wranglerDev.ts";
import { cpuOf, groupMembers, groupOf, listenerOf, portsOf, rssOf } from "./procfs.ts";

export const ROOT = resolve(import.meta.dirname, "../..");
const NODE = join(ROOT, "node_modules", ".bin", "node");

export interface Memory {
  /** Resident memory of the server process(es), bytes. */
  serverBytes: number;
  /** What the figure covers. */
  covers: string;
}

export interface Target {
  name: string;
  dialect: Dialect;
  /** What this server does with an update before relaying it. */
  durability: string;
  /** A URL for one connection to `docName` with write access. */
  url(docName: string): Promise<string>;
  memory(): Memory;
  /** CPU time the server process(es) have used so far, seconds. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function waitForHttp(url: string, child: ChildProcess | null, output: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) break;
    if ((await fetch(url).then((r) => r.status, () => 0)) > 0) return;
    await sleep(100);
  }
  throw new Error(`${url} did not answer. Output:\n${output()}`);
}

/**
 * Quire: the project's Worker under `wrangler dev` (test/helpers/wranglerDev.ts), with real SQLite,
 * D1 and R2. Two targets on one server: through wrangler's port, where wrangler's proxy Worker
 * forwards every frame to the Worker's own workerd (as every local client connects), and straight
 * to that workerd's port, as close as this machine gets to production's path.
 */
export async function startQuire(config?: string): Promise<Target[]> {
  const dev = await startWranglerDev({ config });
  const proxy = listenerOf(Number(new URL(dev.url).port));
  const group = proxy === null ? null : groupOf(proxy);
  const workerd = () => (group === null ? [] : groupMembers(group).filter((m) => m.comm.includes("workerd")));
  const tokens = new Map<string, string>();
  const token = async (docName: string) => {
    let value = tokens.get(docName);
    if (!value) {
      const response = await fetch(`${dev.url}/v1/docs/${docName}/tokens`, {
        method: "POST",
        headers: { Authorization: "Bearer dev-admin-token", "Content-Type": "application/json" },
        body: JSON.stringify({ access: "write", userId: "bench" }),
      });
      if (!response.ok) throw new Error(`token for ${docName}: ${response.status} ${await response.text()}`);
      value = ((await response.json()) as { token: string }).token;
      tokens.set(docName, value);
    }
    return value;
  };
  const memory = (): Memory => {
    const sizes = workerd().map((m) => rssOf(m.pid));
    if (sizes.length === 0) return { serverBytes: 0, covers: "workerd not found" };
    const each = sizes.map((b) => (b / 1024 / 1024).toFixed(0)).join(" + ");
    return { serverBytes: sizes.reduce((n, b) => n + b, 0), covers: `workerd processes (${each} MiB); wrangler's Node process not counted` };
  };
  const base = { dialect: "y-websocket" as const, durability: "SQLite append (durable) before relay", memory, cpuSeconds: () => workerd().reduce((n, m) => n + cpuOf(m.pid), 0) };
  const viaWrangler: Target = { ...base, name: "Quire", url: async (doc) => `${dev.wsUrl}/ws/${doc}?token=${await token(doc)}`, stop: () => dev.destroy() };
  const direct = await directPort(workerd().map((m) => m.pid).filter((pid) => pid !== proxy));
  if (direct === null) return [viaWrangler];
  return [viaWrangler, { ...base, name: "Quire direct", url: async (doc) => `ws://127.0.0.1:${direct}/ws/${doc}?token=${await token(doc)}`, stop: async () => undefined }];
}

/** The port of the Worker's own workerd: the one of its listening ports that answers /health. */
async function directPort(candidates: number[]): Promise<number | null> {
  for (const pid of candidates) {
    for (const port of portsOf(pid)) {
      const body = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) }).then((r) => (r.ok ? r.text() : ""), () => "");
      if (body.includes('"ok":true')) return port;
    }
  }
  return null;
}

/** A peer server as a child process on 127.0.0.1, in its own process group so nothing outlives it. */
async function startChild(name: string, dialect: Dialect, durability: string, args: string[], url: (base: string, docName: string) => string): Promise<Target> {
  const port = await freePort();
  const child = spawn(NODE, args, {
    cwd: ROOT,
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), NODE_ENV: "production" },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const append = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-16_384));
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const stop = async () => {
    if (child.exitCode !== null) return;
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      return;
    }
    const killed = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
    if (!killed) {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {}
      await exited;
    }
  };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    name,
    dialect,
    durability,
    url: async (docName) => url(`ws://127.0.0.1:${port}`, docName),
    memory: () => ({ serverBytes: rssOf(child.pid!), covers: "the server's Node process" }),
    cpuSeconds: () => cpuOf(child.pid!),
    stop,
  };
}

/** The y-websocket reference server, run as its own binary (documents in memory; no persistence configured). */
export const startYWebsocket = () =>
  startChild("y-websocket", "y-websocket", "memory only", [join(ROOT, "node_modules", "@y", "websocket-server", "src", "server.js")], (base, doc) => `${base}/${doc}`);

/** Hocuspocus with default settings and no extensions (documents in memory). */
export const startHocuspocus = () =>
  startChild("Hocuspocus", "hocuspocus", "memory only", [join(import.meta.dirname, "servers", "hocuspocus.ts")], (base) => base);

/** Every server by its key in BENCH_SERVERS; some start more than one target. */
export const STARTERS: Record<string, () => Promise<Target[]>> = {
  quire: () => startQuire(),
  "y-websocket": async () => [await startYWebsocket()],
  hocuspocus: async () => [await startHocuspocus()],
};

/** Peers that were considered and why they are not run here. */
export const SKIPPED: Record<string, string> = {
  "y-sweet": "its npm package downloads the server binary from GitHub at first run; this machine reaches no network but the package registries",
  "y-partyserver":
    "y-partyserver 2.2.0 declares a peer dependency on @cloudflare/workers-types ^4, which conflicts with the project's 5.x (npm refuses without --legacy-peer-deps); it also runs only inside workerd, not Node",
};
