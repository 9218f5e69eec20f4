// Quire under a real `wrangler dev` (test/helpers/wranglerDev.ts), with real SQLite, D1 and R2.
import { mintToken } from "../../../test/helpers/tokens.ts";
import { startWranglerDev } from "../../../test/helpers/wranglerDev.ts";
import { cpuOf, groupMembers, groupOf, listenerOf, portsOf, rssOf } from "../procfs.ts";
import type { Memory, Target } from "../targets.ts";

const DURABILITY = "appends each update to the document's SQLite log; the relay waits until the write is durable";

/**
 * Two targets on one server: through wrangler's port, where wrangler's proxy Worker forwards every
 * frame to the Worker's own workerd (as every local client connects), and straight to that
 * workerd's port, as close as this machine gets to production's path.
 */
export async function startQuire(config?: string): Promise<Target[]> {
  const dev = await startWranglerDev({ config });
  const proxy = listenerOf(Number(new URL(dev.url).port));
  const group = proxy === null ? null : groupOf(proxy);
  const workerd = () => (group === null ? [] : groupMembers(group).filter((m) => m.comm.includes("workerd")));
  const token = tokenPerConnection(dev.url);
  const memory = (): Memory => {
    const sizes = workerd().map((m) => rssOf(m.pid));
    if (sizes.length === 0) return { serverBytes: 0, covers: "workerd not found" };
    const each = sizes.map((b) => (b / 1024 / 1024).toFixed(0)).join(" + ");
    return { serverBytes: sizes.reduce((n, b) => n + b, 0), covers: `workerd processes (${each} MiB); wrangler's Node process not counted` };
  };
  const base = { dialect: "y-websocket" as const, durability: DURABILITY, memory, cpuSeconds: () => workerd().reduce((n, m) => n + cpuOf(m.pid), 0) };
  const viaProxy: Target = {
    ...base,
    key: "quire-proxy",
    name: "Quire (via wrangler proxy)",
    url: async (doc) => `${dev.wsUrl}/ws/${doc}?token=${await token(doc)}`,
    stop: () => dev.destroy(),
  };
  const direct = await directPort(workerd().map((m) => m.pid).filter((pid) => pid !== proxy));
  if (direct === null) return [viaProxy];
  const straight: Target = {
    ...base,
    key: "quire-direct",
    name: "Quire (direct to workerd)",
    url: async (doc) => `ws://127.0.0.1:${direct}/ws/${doc}?token=${await token(doc)}`,
    stop: async () => undefined,
  };
  return [straight, viaProxy];
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

/**
 * Write tokens for the server at `baseUrl`, each for a user of its own, as in an application: the
 * per-user limits (MAX_CONNECTIONS_PER_USER, update bytes per second) are about one person, not a crowd.
 */
export function tokenPerConnection(baseUrl: string): (docName: string) => Promise<string> {
  let users = 0;
  return async (docName) => (await mintToken(baseUrl, docName, "write", { userId: `bench-${++users}` })).token;
}
