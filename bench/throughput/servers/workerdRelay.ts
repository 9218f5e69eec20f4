// The bare workerd relay (relay/worker.ts) under `wrangler dev`, straight to the Worker's own
// workerd as Quire's headline target is: the same runtime, Durable Object and hibernatable sockets as
// Quire, and nothing else. Its latency is the least any y-websocket server on this runtime can show
// on this machine, so it marks how much of Quire's figure is Quire's.
import { join } from "node:path";
import type { Target } from "../targets.ts";
import { startWorkerdDirect } from "./workerd.ts";

const CONFIG = join(import.meta.dirname, "relay", "wrangler.jsonc");

export async function startWorkerdRelay(): Promise<Target[]> {
  const server = await startWorkerdDirect(CONFIG);
  const direct = server.directWsBase;
  return [
    {
      key: "workerd-relay",
      name: "bare workerd relay (no document)",
      dialect: "y-websocket",
      durability: "relays the frame as it arrives; keeps no document and writes nothing",
      relayOnly: true,
      url: async (doc) => `${direct}/relay/${doc}`,
      memory: server.memory,
      cpuSeconds: server.cpuSeconds,
      stop: () => server.dev.destroy(),
    },
  ];
}
