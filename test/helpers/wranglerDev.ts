// Starts and stops a real `wrangler dev` process for end-to-end tests, with its own ports and state.
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = join(ROOT, "node_modules", ".bin");
const MAX_OUTPUT_CHARS = 64 * 1024;

/** The secrets and flags `.dev.vars.example` gives `npm start`, passed as vars so no `.dev.vars` file is needed. */
export const DEV_SECRETS = { AUTH_SECRET: "dev-auth-secret", ADMIN_TOKEN: "dev-admin-token", DEV_MODE: "true" };

export interface WranglerDevOptions {
  /** Local state directory; keep it to keep the data across restarts. Default: a fresh temp dir. */
  persistTo?: string;
  /** Wrangler configuration file. Default: the project's `wrangler.jsonc`. */
  config?: string;
  /** How long to wait for `GET /health` to answer 200. */
  startTimeoutMs?: number;
  /** Vars that override the configuration's (`--var NAME:value`). */
  vars?: Record<string, string>;
}

export interface WranglerDev {
  /** `http://127.0.0.1:PORT`; the port stays the same across restarts. */
  readonly url: string;
  /** `ws://127.0.0.1:PORT`. */
  readonly wsUrl: string;
  readonly persistTo: string;
  /** The latest output of the current process, for diagnostics. */
  output(): string;
  stop(): Promise<void>;
  /**
   * Kills the whole process group with SIGKILL, like a crash: no graceful shutdown, no flush.
   * Resolves once every process of the group is gone. `start()` brings it back on the same state.
   */
  kill(): Promise<void>;
  /** Starts the server again on the same port and state after `stop()` or `kill()`. */
  start(): Promise<void>;
  /** Stops the server and starts it again on the same port and state. */
  restart(): Promise<void>;
  /** Stops the server and deletes the state directory if this helper created it. */
  destroy(): Promise<void>;
}

/** Starts `wrangler dev` on a free port and resolves once `GET /health` answers 200. */
export async function startWranglerDev(options: WranglerDevOptions = {}): Promise<WranglerDev> {
  const ownsState = options.persistTo === undefined;
  const persistTo = options.persistTo ?? mkdtempSync(join(tmpdir(), "quire-e2e-"));
  const config = options.config ?? join(ROOT, "wrangler.jsonc");
  const timeoutMs = options.startTimeoutMs ?? 90_000;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;

  let current: WranglerProcess | undefined;
  const start = async () => {
    current = new WranglerProcess(devArgs(config, persistTo, port, await freePort(), options.vars ?? {}));
    await current.waitUntilHealthy(url, timeoutMs);
  };
  const stop = async () => {
    await current?.stop();
    current = undefined;
  };
  try {
    await applyMigrations(config, persistTo);
    await start();
  } catch (error) {
    if (ownsState) rmSync(persistTo, { recursive: true, force: true });
    throw error;
  }

  return {
    url,
    wsUrl: url.replace(/^http/, "ws"),
    persistTo,
    output: () => current?.output ?? "",
    stop,
    kill: async () => {
      await current?.kill();
      current = undefined;
    },
    start: async () => {
      if (current) throw new Error("wrangler dev is already running");
      await start();
    },
    restart: async () => {
      await stop();
      await start();
    },
    destroy: async () => {
      await stop();
      if (ownsState) rmSync(persistTo, { recursive: true, force: true });
    },
  };
}

function devArgs(config: string, persistTo: string, port: number, inspectorPort: number, extra: Record<string, string>): string[] {
  const vars = Object.entries({ ...DEV_SECRETS, ...extra }).map(([name, value]) => `${name}:${value}`);
  return [
    "dev",
    ...["--config", config, "--persist-to", persistTo],
    ...["--ip", "127.0.0.1", "--port", String(port)],
    ...["--inspector-ip", "127.0.0.1", "--inspector-port", String(inspectorPort)],
    ...["--var", ...vars],
    "--show-interactive-dev-session=false",
    "--live-reload=false",
  ];
}

/** The environment for wrangler: the project's Node 22 first on PATH, no prompts, no metrics. */
function wranglerEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${BIN}:${process.env.PATH ?? ""}`,
    CI: "true",
    WRANGLER_SEND_METRICS: "false",
    NO_COLOR: "1",
    X_LOCAL_OBSERVABILITY: "false",
  };
}

/** Applies the project's D1 migrations to the local database, for configurations that bind one. */
async function applyMigrations(config: string, persistTo: string): Promise<void> {
  const dir = join(ROOT, "migrations");
  if (!existsSync(dir) || !readdirSync(dir).some((name) => name.endsWith(".sql"))) return;
  if (!readFileSync(config, "utf8").includes('"d1_databases"')) return;
  const args = ["d1", "migrations", "apply", "DB", "--local", "--config", config, "--persist-to", persistTo];
  await promisify(execFile)(join(BIN, "wrangler"), args, { cwd: ROOT, env: wranglerEnv(), timeout: 120_000 });
}

/** Asks the OS for a free port on 127.0.0.1 (released at once, so a small race remains). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port"))));
    });
  });
}

/** One `wrangler dev` process, in its own process group so workerd goes down with it. */
class WranglerProcess {
  output = "";
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private exitCode: number | null | undefined;

  constructor(args: string[]) {
    this.child = spawn(join(BIN, "wrangler"), args, {
      cwd: ROOT,
      env: wranglerEnv(),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const append = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-MAX_OUTPUT_CHARS);
      if (process.env.QUIRE_DEV_LOG) appendFileSync(process.env.QUIRE_DEV_LOG, chunk);
    };
    this.child.stdout?.on("data", append);
    this.child.stderr?.on("data", append);
    this.exited = new Promise((done) => {
      this.child.once("exit", (code) => {
        this.exitCode = code;
        done();
      });
    });
  }

  async waitUntilHealthy(url: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitCode !== undefined) break;
      const status = await fetch(`${url}/health`).then((response) => response.status, () => 0);
      if (status === 200) return;
      await sleep(250);
    }
    const reason = this.exitCode !== undefined ? `exited with code ${this.exitCode}` : `not healthy after ${timeoutMs} ms`;
    await this.stop();
    throw new Error(`wrangler dev ${reason}. Output:\n${this.output}`);
  }

  /** SIGTERM to the whole group, SIGKILL if it lingers; resolves once every process in it is gone. */
  async stop(): Promise<void> {
    this.signal("SIGTERM");
    if (!(await this.groupGone(10_000))) {
      this.signal("SIGKILL");
      await this.groupGone(5_000);
    }
    await this.exited;
  }

  /** SIGKILL to the whole group at once; resolves once every process in it is gone. */
  async kill(): Promise<void> {
    this.signal("SIGKILL");
    if (!(await this.groupGone(10_000))) throw new Error("wrangler dev's process group survived SIGKILL");
    await this.exited;
  }

  private async groupGone(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.signal(0)) {
      if (Date.now() > deadline) return false;
      await sleep(100);
    }
    return true;
  }

  /** Signals the process group; false when no process is left in it. */
  private signal(signal: NodeJS.Signals | 0): boolean {
    try {
      process.kill(-this.child.pid!, signal);
      return true;
    } catch {
      return false;
    }
  }
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
