// PartyKit's y-partyserver (partyserver/worker.ts) under `wrangler dev`, straight to the Worker's own
// workerd as Quire's headline target is: the same runtime, Durable Objects and WebSocket sends as
// Quire, with the document in memory. It shows which part of a figure is the runtime's.
import { join } from "node:path";
import type { Target } from "../targets.ts";
import { startWorkerdDirect } from "./workerd.ts";

const CONFIG = join(import.meta.dirname, "partyserver", "wrangler.jsonc");

/** Two targets on one server: partyserver's default (event-listener sockets) and `hibernate: true`. */
export async function startYPartyserver(): Promise<Target[]> {
  const server = await startWorkerdDirect(CONFIG);
  const direct = server.directWsBase;
  const base = { dialect: "y-websocket" as const, durability: "applies it in memory only", memory: server.memory, cpuSeconds: server.cpuSeconds };
  return [
    { ...base, key: "y-partyserver", name: "y-partyserver (memory)", url: async (doc) => `${direct}/parties/y-server/${doc}`, stop: () => server.dev.destroy() },
    {
      ...base,
      key: "y-partyserver-hibernating",
      name: "y-partyserver (hibernate: true)",
      url: async (doc) => `${direct}/parties/y-hibernating/${doc}`,
      stop: async () => undefined,
    },
  ];
}
