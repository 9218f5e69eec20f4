// The test side of test/helpers/sdkChild.mjs: starts an SDK client in its own process and talks to it.
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

// No parameter properties: the benchmarks load this file with Node's type stripping.
export class SdkProcess {
  readonly clientId: number;
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  private constructor(child: ChildProcess, clientId: number) {
    this.child = child;
    this.clientId = clientId;
  }

  /** Starts a client of `docId` at `url` as user `name`; resolves once it has synced. */
  static start(url: string, docId: string, name: string, env: Record<string, string> = {}): Promise<SdkProcess> {
    const child = spawn(join(ROOT, "node_modules", ".bin", "node"), [join(ROOT, "test", "helpers", "sdkChild.mjs"), url, docId, name], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "inherit"],
    });
    return new Promise((resolveStart, rejectStart) => {
      let client: SdkProcess | null = null;
      child.once("exit", (code) => rejectStart(new Error(`SDK client ${name} exited with ${code} before syncing`)));
      createInterface({ input: child.stdout! }).on("line", (line) => {
        const message = JSON.parse(line) as { ready?: boolean; clientId?: number; id?: number; value?: unknown; error?: string };
        if (message.ready) {
          client = new SdkProcess(child, message.clientId!);
          resolveStart(client);
          return;
        }
        const waiter = client?.pending.get(message.id!);
        client?.pending.delete(message.id!);
        if (message.error) waiter?.reject(new Error(message.error));
        else waiter?.resolve(message.value);
      });
    });
  }

  /** Runs a command in the child (see the handlers in sdkChild.mjs). */
  call<T>(cmd: "presence" | "states" | "insert" | "text", args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolveCall, rejectCall) => {
      this.pending.set(id, { resolve: resolveCall as (value: unknown) => void, reject: rejectCall });
      this.child.stdin!.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  }

  /** The names in the presence states this client holds (its own included). */
  async names(): Promise<string[]> {
    const states = await this.call<Record<string, { name?: string } | null>>("states");
    return Object.values(states).flatMap((user) => (user?.name ? [user.name] : [])).sort();
  }

  /** Ends the process at once, as a crash or a closed laptop would: no close frame is sent. */
  kill(): void {
    this.child.kill("SIGKILL");
  }

  /** Ends the process and waits for it. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolveExit) => this.child.once("exit", resolveExit));
    this.child.kill("SIGTERM");
    await exited;
  }
}
