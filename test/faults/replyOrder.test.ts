// Found by the fuzzer over real sockets (test/faults/e2e/fuzz.test.ts): answers the server owes to
// frames it handled before a frame that closes the connection. PROTOCOL.md: frames are handled one
// at a time in arrival order, and an ack-request (or a sync step 1) is answered when it is reached;
// the close for a later frame must not overtake those answers. While a batch is buffered (a commit
// in flight) the answers wait in the batch's outbox, and the close goes out first: they are lost.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { DocumentObject } from "../../src/document/DocumentObject";
import { CloseCode } from "../../src/protocol/closeCodes";
import { encodeAckRequest, encodeSyncStep1 } from "../../src/protocol/messages";
import { RawClient, stubFor, textUpdate, uniqueDocId } from "../helpers/workerClient";

/** Holds the document's commits in flight until `release`, so updates arriving meanwhile are buffered. */
async function holdCommits(docId: string): Promise<() => void> {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  await runInDurableObject(stubFor(docId), (object: DocumentObject) => {
    const real = object.durable.bind(object);
    object.durable = () => gate.then(real);
  });
  return open;
}

describe("answers before a closing frame", () => {
  it.each([
    ["an unknown message type", new Uint8Array([42]), CloseCode.unsupportedMessage],
    ["a truncated frame", new Uint8Array([0x80]), CloseCode.malformedMessage],
    ["a corrupt update", new Uint8Array([0, 2, 3, 0xff, 0xff, 0xff]), CloseCode.invalidUpdate],
  ])("the ack and sync step 2 owed to earlier frames reach the client before the close for %s, even while a batch is buffered", async (_, bad, code) => {
    const docId = uniqueDocId("reply-order");
    const other = await RawClient.connect(docId);
    const client = await RawClient.connect(docId, { ext: "ack" });
    await Promise.all([other.waitFor("sync-step1"), client.waitFor("sync-step1")]);
    const release = await holdCommits(docId);
    other.sendUpdate(textUpdate("written at once; its commit is held"));
    await client.waitFor("update");

    client.sendUpdate(textUpdate("buffered behind the held commit"));
    client.send(encodeAckRequest(1));
    client.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())));
    client.send(bad);
    const closed = await Promise.race([client.closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), 500))]);
    release();
    expect((closed ?? (await client.closed)).code).toBe(code);
    // A socket's close event comes after every frame sent on it: these are final.
    expect(client.messages.filter((m) => m.type === "ack").map((m) => (m as { seq: number }).seq), "the ack for the frames before the bad one").toEqual([1]);
    expect(client.messages.filter((m) => m.type === "sync-step2"), "the answer to the sync step 1 before the bad one").toHaveLength(1);
  });
});
