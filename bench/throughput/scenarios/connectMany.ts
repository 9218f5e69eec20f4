// Opening many benchmark clients to one document, a batch at a time, and closing them all on failure.
import { type ClientOptions, connect, type RawClient } from "../client.ts";

const BATCH = 25;

/** Connects `count` clients with the options `optionsOf(i)` gives; all synced, or none left open. */
export async function connectMany(count: number, optionsOf: (i: number) => ClientOptions | Promise<ClientOptions>): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  try {
    for (let i = 0; i < count; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, count - i) }, async (_, j) => connect(await optionsOf(i + j)));
      const settled = await Promise.allSettled(batch);
      for (const result of settled) if (result.status === "fulfilled") clients.push(result.value);
      const failed = settled.find((result) => result.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }
    return clients;
  } catch (error) {
    for (const client of clients) client.close();
    throw error;
  }
}

export const closeAll = (clients: Iterable<RawClient | null | undefined>) => {
  for (const client of clients) client?.close();
};
