// A peer server as a Node child process on 127.0.0.1, in its own process group so nothing outlives it.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../../../test/helpers/wranglerDev.ts";
import { cpuOf, rssOf } from "../procfs.ts";
import type { Target } from "../targets.ts";

const ROOT = resolve(import.meta.dirname, "../../..");
export const NODE = join(ROOT, "node_modules", ".bin", "node");
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5000;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export interface ChildSpec extends Omit<Target, "url" | "memory" | "cpuSeconds" | "stop"> {
  /** Node arguments: the server's entry file first. */
  args: string[];
  /** Extra environment; `dataDir` in a value is replaced by a fresh directory, removed at stop. */
  env?: Record<string, string>;
  url(base: string, docName: string): string;
}

/** Starts the server, waits until it answers HTTP on its port, and returns it as a target. */
export async function startChild(spec: ChildSpec): Promise<Target> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `quire-bench-${spec.key}-`));
  const env = Object.fromEntries(Object.entries(spec.env ?? {}).map(([k, v]) => [k, v.replace("dataDir", dataDir)]));
  const child = spawn(NODE, spec.args, {
    cwd: ROOT,
    env: { ...process.env, ...env, HOST: "127.0.0.1", PORT: String(port), NODE_ENV: "production" },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const append = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-16_384));
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const stop = async () => {
    await stopGroup(child, exited);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  const { args: _args, env: _env, url, ...facts } = spec;
  return {
    ...facts,
    url: async (docName) => url(`ws://127.0.0.1:${port}`, docName),
    memory: () => ({ serverBytes: rssOf(child.pid!), covers: "the server's Node process" }),
    cpuSeconds: () => cpuOf(child.pid!),
    stop,
  };
}

async function waitForHttp(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null) {
    if ((await fetch(url).then((r) => r.status, () => 0)) > 0) return;
    await sleep(100);
  }
  const why = child.exitCode === null ? `did not answer within ${START_TIMEOUT_MS / 1000} s` : `exited with code ${child.exitCode}`;
  throw new Error(`${url} ${why}. Output:\n${output()}`);
}

/** SIGTERM to the child's process group, SIGKILL if it is still there after a grace period. */
async function stopGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid!, "SIGTERM");
  } catch {
    return;
  }
  const gone = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
  if (gone) return;
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {}
  await exited;
}
