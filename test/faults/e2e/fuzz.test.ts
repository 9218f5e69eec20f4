// The fuzzer over real sockets against `wrangler dev`: at least 100,000 hostile frames (./../fuzz/)
// against one live document while a well-behaved editor types and a watcher mirrors. Real TCP
// brings the runtime's own 32 MiB message limit (1009) into play. At checkpoints the document is
// compacted and its snapshot read back; at the end the server restarts, and the document loads
// cold from storage with exactly the editor's text.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { fuzzDocument } from "../fuzz/scenario";
import { nodeConnect } from "../fuzz/nodeTransport";
import { isRefusal } from "../fuzz/transport";
import { decodeMessage, encodeSyncStep1 } from "../../../src/protocol/messages";
import { FAULT_LIMITS, faultLimits } from "../limits";
import { DEV_SECRETS, startWranglerDev, type WranglerDev } from "../../helpers/wranglerDev";

const FRAMES = Number(process.env.QUIRE_FUZZ_FRAMES ?? 100_000);
const SEED = Number(process.env.QUIRE_FUZZ_SEED || Math.floor(Math.random() * 2 ** 31));

let server: WranglerDev;

beforeAll(async () => {
  server = await startWranglerDev({ vars: { ...FAULT_LIMITS, COMPACT_MAX_UPDATES: "500" } });
});
afterAll(async () => {
  await server?.destroy();
});

const admin = (path: string, init: RequestInit = {}) => {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${DEV_SECRETS.ADMIN_TOKEN}`);
  return fetch(`${server.url}${path}`, { ...init, headers });
};

/** The document's text as a fresh client reads it. */
async function freshText(docId: string): Promise<string> {
  const socket = await nodeConnect(server.wsUrl, docId)({ access: "read", userId: "reader", ack: false });
  if (isRefusal(socket)) throw new Error(`refused: ${socket.status}`);
  const doc = new Y.Doc();
  const synced = new Promise<void>((resolve) =>
    socket.onFrame((frame) => {
      const message = decodeMessage(frame);
      if (message.type === "sync-step2") {
        Y.applyUpdate(doc, message.update);
        resolve();
      }
    }),
  );
  socket.send(encodeSyncStep1(Y.encodeStateVector(doc)));
  await synced;
  socket.close(1000, "done");
  return doc.getText("text").toString();
}

describe("the fuzzer against wrangler dev", () => {
  it(`${FRAMES} hostile frames over real sockets: the well-behaved clients stay connected with their text intact, every bad frame gets its close code, and the document loads cold after a restart`, { timeout: 1_800_000 }, async () => {
    const docId = `fuzz-${Date.now()}`;
    const connect = nodeConnect(server.wsUrl, docId);
    const { text } = await fuzzDocument({
      name: "fuzzer (wrangler dev)",
      docId,
      connect,
      admin,
      limits: faultLimits(),
      frames: FRAMES,
      seed: SEED,
      concurrency: 16,
      checkpoints: 5,
      mix: { hugePresence: 0.03, presenceFlood: 0.02, updateFlood: 0.005, oversizeUpdate: 0.002, bigJunk: 0.004, overMessageLimit: 0.0005 },
      storedText: async () => ({ text: await freshText(docId), detail: "" }),
    });
    // Storage, cold: after a restart the document is rebuilt from its snapshot and log alone.
    await server.restart();
    const cold = await freshText(docId);
    expect(cold).toBe(text);
    console.log(`[faults] fuzzer (wrangler dev): after a restart the document loads cold with the editor's ${cold.length} characters`);
  });
});
