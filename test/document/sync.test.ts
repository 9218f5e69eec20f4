import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { DocumentObject } from "../../src/document/DocumentObject";
import { CHUNK_BYTES } from "../../src/storage/updateLog";
import { RawClient, stubFor, textUpdate, uniqueDocId } from "../helpers/workerClient";

const logStats = (docId: string) => runInDurableObject(stubFor(docId), (object: DocumentObject) => object.log.stats());

describe("sync between raw sockets", () => {
  it("sends sync step 1 on connect and answers a client's sync step 1 with the full state", async () => {
    const docId = uniqueDocId("sync");
    const writer = await RawClient.connect(docId);
    await writer.waitFor("sync-step1");
    writer.sendUpdate(textUpdate("hello"));
    const reader = await RawClient.connect(docId);
    const doc = await reader.fetchDoc();
    expect(doc.getText("text").toString()).toBe("hello");
  });

  it("relays an update to every other client and stores it once", async () => {
    const docId = uniqueDocId("relay");
    const [a, b, c] = await Promise.all([RawClient.connect(docId), RawClient.connect(docId), RawClient.connect(docId)]);
    const update = textUpdate("shared");
    a.sendUpdate(update);
    for (const peer of [b, c]) {
      const received = await peer.waitFor("update");
      const doc = new Y.Doc();
      Y.applyUpdate(doc, received.update);
      expect(doc.getText("text").toString()).toBe("shared");
    }
    a.sendUpdate(update); // A duplicate changes nothing and is not stored again.
    await (await RawClient.connect(docId)).fetchDoc();
    expect(await logStats(docId)).toMatchObject({ updates: 1 });
    expect(a.messages.filter((m) => m.type === "update")).toHaveLength(0);
  });

  it("keeps every update across a hibernation, with the sockets still open afterwards", async () => {
    const docId = uniqueDocId("hibernate");
    const a = await RawClient.connect(docId);
    const b = await RawClient.connect(docId);
    const docA = new Y.Doc();
    a.sendUpdate(textUpdate("before ", docA));
    await b.waitFor("update");

    await evictDurableObject(stubFor(docId), { webSockets: "hibernate" });

    let second: Uint8Array | null = null;
    docA.once("update", (u: Uint8Array) => (second = u));
    docA.getText("text").insert(docA.getText("text").length, "after");
    a.sendUpdate(second!);
    await b.waitFor("update", (m) => m.update.length === second!.length);
    const fresh = await (await RawClient.connect(docId)).fetchDoc();
    expect(fresh.getText("text").toString()).toBe("before after");
  });

  it("round-trips an update larger than a SQLite row, stored in chunks", async () => {
    const docId = uniqueDocId("big");
    const big = "x".repeat(3 * 1024 * 1024);
    // The update passes COMPACT_MAX_BYTES, so compaction would fold it into a snapshot at once.
    await runInDurableObject(stubFor(docId), (object: DocumentObject) => void (object.compactor.config.maxBytes = Number.POSITIVE_INFINITY));
    const writer = await RawClient.connect(docId, { ext: "ack" });
    writer.sendUpdate(textUpdate(big));
    writer.send(new Uint8Array([100, 0, 1]));
    await writer.waitFor("ack", (m) => m.seq === 1, 20_000);
    const rows = await runInDurableObject(stubFor(docId), (_: DocumentObject, state: DurableObjectState) =>
      state.storage.sql.exec<{ parts: number; size: number }>("SELECT parts, MAX(LENGTH(data)) AS size FROM update_log GROUP BY seq").one(),
    );
    expect(rows.parts).toBeGreaterThan(2);
    expect(rows.size).toBeLessThanOrEqual(CHUNK_BYTES);

    await evictDurableObject(stubFor(docId), { webSockets: "hibernate" });
    const doc = await (await RawClient.connect(docId)).fetchDoc();
    expect(doc.getText("text").toString()).toBe(big);
  });
});

describe("the ack extension", () => {
  it("acknowledges a request only after the updates sent before it", async () => {
    const docId = uniqueDocId("ack");
    const client = await RawClient.connect(docId, { ext: "ack" });
    client.sendUpdate(textUpdate("durable"));
    client.send(new Uint8Array([100, 0, 42]));
    await client.waitFor("ack", (m) => m.seq === 42);
    expect(await logStats(docId)).toMatchObject({ updates: 1 });
  });

  it("is refused with 4415 from a client that did not ask for it", async () => {
    const client = await RawClient.connect(uniqueDocId("no-ack"));
    client.send(new Uint8Array([100, 0, 1]));
    expect(await client.closed).toMatchObject({ code: 4415 });
    expect(client.messages.some((m) => m.type === "ack")).toBe(false);
  });
});
