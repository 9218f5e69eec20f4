// Quire under a real `wrangler dev`, with real SQLite, D1 and R2.
import { mintToken } from "../../../test/helpers/tokens.ts";
import type { Target } from "../targets.ts";
import { startWorkerd } from "./workerd.ts";

const DURABILITY = "appends each update to the document's SQLite log; the relay waits until the write is durable";

/**
 * Two targets on one server: through wrangler's port, where wrangler's proxy Worker forwards every
 * frame to the Worker's own workerd (as every local client connects), and straight to that
 * workerd's port, as close as this machine gets to production's path.
 */
export async function startQuire(config?: string): Promise<Target[]> {
  const server = await startWorkerd(config);
  const { dev } = server;
  const token = tokenPerConnection(dev.url);
  const base = { dialect: "y-websocket" as const, durability: DURABILITY, memory: server.memory, cpuSeconds: server.cpuSeconds };
  const viaProxy: Target = {
    ...base,
    key: "quire-proxy",
    name: "Quire (via wrangler proxy)",
    url: async (doc) => `${dev.wsUrl}/ws/${doc}?token=${await token(doc)}`,
    stop: () => dev.destroy(),
  };
  const direct = server.directWsBase;
  if (direct === null) return [viaProxy];
  const straight: Target = {
    ...base,
    key: "quire-direct",
    name: "Quire (direct to workerd)",
    url: async (doc) => `${direct}/ws/${doc}?token=${await token(doc)}`,
    stop: async () => undefined,
  };
  return [straight, viaProxy];
}

/**
 * Write tokens for the server at `baseUrl`, each for a user of its own, as in an application: the
 * per-user limits (MAX_CONNECTIONS_PER_USER, update bytes per second) are about one person, not a crowd.
 */
export function tokenPerConnection(baseUrl: string): (docName: string) => Promise<string> {
  let users = 0;
  return async (docName) => (await mintToken(baseUrl, docName, "write", { userId: `bench-${++users}` })).token;
}
