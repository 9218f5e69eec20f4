// The fuzzer inside workerd: hostile sessions (./fuzz/) against one live document while a
// well-behaved editor types and a watcher mirrors; at every checkpoint the object is evicted and
// its storage read back row by row, so the stored document is proven to decode while under attack.
// The longer run over real sockets is test/faults/e2e/fuzz.test.ts.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import * as Y from "yjs";
import type { DocumentObject } from "../../src/document/DocumentObject";
import { stubFor, uniqueDocId } from "../helpers/workerClient";
import { admin } from "./authTools";
import { fuzzDocument } from "./fuzz/scenario";
import { workerdConnect } from "./fuzz/workerdTransport";
import { faultLimits } from "./limits";

const vars = env as unknown as Record<string, string | undefined>;
const FRAMES = Number(vars.FUZZ_FRAMES || 20_000);
const SEED = Number(vars.FUZZ_SEED || Math.floor(Math.random() * 2 ** 31));

/** Evicts the object (its sockets stay open) and loads the document from storage in a new instance: every log row must decode. */
async function storedText(docId: string): Promise<{ text: string; detail: string }> {
  await evictDurableObject(stubFor(docId), { webSockets: "hibernate" });
  return runInDurableObject(stubFor(docId), async (object: DocumentObject) => {
    let rows = 0;
    for (const { update } of object.log.read()) {
      Y.decodeUpdate(update);
      rows++;
    }
    const doc = new Y.Doc();
    await object.compactor.loadInto(doc);
    return { text: doc.getText("text").toString(), detail: `evicted; ${rows} log rows decode; ${object.compactor.index.list().length} snapshots; loaded ${Y.encodeStateAsUpdate(doc).byteLength} bytes` };
  });
}

describe("the fuzzer inside workerd", () => {
  it(`${FRAMES} hostile frames: the well-behaved clients stay connected with their text intact, the stored document decodes after every eviction, every bad frame gets its close code`, { timeout: 1_200_000 }, async () => {
    const docId = uniqueDocId("fuzz");
    await fuzzDocument({
      name: "fuzzer (workerd)",
      docId,
      connect: workerdConnect(docId),
      admin,
      limits: faultLimits(),
      frames: FRAMES,
      seed: SEED,
      concurrency: 8,
      checkpoints: 5,
      // No frame over 32 MiB here: in-process sockets do not enforce the runtime's message limit.
      mix: { hugePresence: 0.03, presenceFlood: 0.02, updateFlood: 0.005, oversizeUpdate: 0.002, bigJunk: 0.004, overMessageLimit: 0 },
      storedText: () => storedText(docId),
    });
  });
});
