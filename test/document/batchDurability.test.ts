import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { DocumentObject } from "../../src/document/DocumentObject";
import { encodeAckRequest, encodeSyncStep2 } from "../../src/protocol/messages";
import { holdCommits, roundTrip, typist } from "../helpers/documentControl";
import { RawClient, stubFor, uniqueDocId } from "../helpers/workerClient";

const rows = (docId: string) =>
  runInDurableObject(stubFor(docId), (_: DocumentObject, state: DurableObjectState) =>
    state.storage.sql.exec<{ seq: number; data: ArrayBuffer }>("SELECT seq, data FROM update_log ORDER BY seq").toArray(),
  );

describe("group commit in the document object", () => {
  it("updates sent during a commit are stored as one row, relayed as one frame, and acknowledged only after it", async () => {
    const docId = uniqueDocId("batch");
    const writer = await RawClient.connect(docId, { ext: "ack" });
    const reader = await RawClient.connect(docId);
    await Promise.all([writer.waitFor("sync-step1"), reader.waitFor("sync-step1")]);
    const { release } = await holdCommits(docId);
    const { type } = typist();

    writer.sendUpdate(type("a")); // written at once; its commit is then held
    await reader.waitFor("update");
    for (const char of "bcd") writer.sendUpdate(type(char));
    writer.send(encodeAckRequest(1));
    await roundTrip(writer, 1);
    expect(writer.messages.some((m) => m.type === "ack")).toBe(false);
    expect(reader.messages.filter((m) => m.type === "update")).toHaveLength(1);
    expect(await rows(docId)).toHaveLength(1);

    release();
    await writer.waitFor("ack", (m) => m.seq === 1);
    await reader.waitFor("update", () => reader.messages.filter((m) => m.type === "update").length >= 2);
    const relayed = reader.messages.filter((m) => m.type === "update");
    expect(relayed).toHaveLength(2);
    const mirror = new Y.Doc();
    for (const m of relayed) Y.applyUpdate(mirror, (m as { update: Uint8Array }).update);
    expect(mirror.getText("text").toString()).toBe("abcd");
    const stored = await rows(docId);
    expect(stored).toHaveLength(2);
    const second = new Y.Doc();
    Y.applyUpdate(second, new Uint8Array(stored[0].data));
    Y.applyUpdate(second, new Uint8Array(stored[1].data));
    expect(second.getText("text").toString()).toBe("abcd");
  });

  it("if the object dies mid-batch, nothing of the batch was relayed or acknowledged, and the sender resends it on reconnect", async () => {
    const docId = uniqueDocId("abort");
    const writer = await RawClient.connect(docId, { ext: "ack" });
    const reader = await RawClient.connect(docId);
    await Promise.all([writer.waitFor("sync-step1"), reader.waitFor("sync-step1")]);
    await holdCommits(docId); // never released: the object dies first
    const { doc, type } = typist();

    // Written at once; its commit completes, but the group commit is never told, so what comes
    // next stays buffered.
    writer.sendUpdate(type("saved "));
    writer.send(encodeAckRequest(1));
    await writer.waitFor("ack", (m) => m.seq === 1);
    writer.sendUpdate(type("lost"));
    writer.send(encodeAckRequest(2));
    await roundTrip(writer, 1);
    await runInDurableObject(stubFor(docId), (_: DocumentObject, state: DurableObjectState) => {
      try {
        state.abort("test: the object dies between buffering a batch and committing it");
      } catch {
        // abort() throws in the caller by design.
      }
    }).catch(() => {});

    // A socket's close event comes after every message sent on it: these are final.
    await Promise.all([writer.closed, reader.closed]);
    expect(writer.messages.filter((m) => m.type === "ack").map((m) => (m as { seq: number }).seq)).toEqual([1]);
    const readerText = new Y.Doc();
    for (const m of reader.messages) if (m.type === "update") Y.applyUpdate(readerText, m.update);
    expect(readerText.getText("text").toString()).toBe("saved ");

    const fresh = await RawClient.connect(docId);
    expect((await fresh.fetchDoc()).getText("text").toString()).toBe("saved ");

    // The writer reconnects as a provider does: it answers the server's sync step 1 with what the server lacks.
    const again = await RawClient.connect(docId, { ext: "ack" });
    const step1 = await again.waitFor("sync-step1");
    again.send(encodeSyncStep2(Y.encodeStateAsUpdate(doc, step1.stateVector)));
    again.send(encodeAckRequest(1));
    await again.waitFor("ack", (m) => m.seq === 1);
    const later = await RawClient.connect(docId);
    expect((await later.fetchDoc()).getText("text").toString()).toBe("saved lost");
  });
});
