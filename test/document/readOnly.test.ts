import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DocumentObject } from "../../src/document/DocumentObject";
import { encodeSyncStep2 } from "../../src/protocol/messages";
import { RawClient, stubFor, textUpdate, uniqueDocId } from "../helpers/workerClient";

describe("read-only connections", () => {
  it("receive the document and live updates", async () => {
    const docId = uniqueDocId("ro-receive");
    const writer = await RawClient.connect(docId);
    writer.sendUpdate(textUpdate("visible"));
    const reader = await RawClient.connect(docId, { access: "read" });
    expect((await reader.fetchDoc()).getText("text").toString()).toBe("visible");
    writer.sendUpdate(textUpdate("more"));
    await reader.waitFor("update");
  });

  it("have their updates and sync step 2 refused with permission-denied, never stored nor relayed", async () => {
    const docId = uniqueDocId("ro-refuse");
    const writer = await RawClient.connect(docId);
    const reader = await RawClient.connect(docId, { access: "read", ext: "ack" });
    reader.sendUpdate(textUpdate("forbidden"));
    reader.send(encodeSyncStep2(textUpdate("also forbidden")));
    reader.send(new Uint8Array([100, 0, 1]));
    await reader.waitFor("ack");
    expect(reader.messages.filter((m) => m.type === "permission-denied")).toHaveLength(2);

    const stats = await runInDurableObject(stubFor(docId), (object: DocumentObject) => object.log.stats());
    expect(stats.updates).toBe(0);
    expect(writer.messages.some((m) => m.type === "update")).toBe(false);
    expect((await writer.fetchDoc()).getText("text").toString()).toBe("");
  });

  it("may send an empty sync step 2 (the stock reply to sync step 1) without being told off", async () => {
    const reader = await RawClient.connect(uniqueDocId("ro-empty"), { access: "read", ext: "ack" });
    reader.send(encodeSyncStep2(new Uint8Array([0, 0])));
    reader.send(new Uint8Array([100, 0, 1]));
    await reader.waitFor("ack");
    expect(reader.messages.some((m) => m.type === "permission-denied")).toBe(false);
  });
});
