import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { DocumentObject } from "../../src/document/DocumentObject";
import { CloseCode } from "../../src/protocol/closeCodes";
import { holdCommits, roundTrip, typist } from "../helpers/documentControl";
import { RawClient, stubFor, uniqueDocId } from "../helpers/workerClient";

describe("an update that decodes but fails to apply", () => {
  it("closes its sender with 4422, keeps what others sent before it, and leaves memory equal to storage", async () => {
    const docId = uniqueDocId("apply-fails");
    const ada = await RawClient.connect(docId);
    const bob = await RawClient.connect(docId);
    const reader = await RawClient.connect(docId);
    await Promise.all([ada.waitFor("sync-step1"), bob.waitFor("sync-step1")]);
    // Y.applyUpdate throws after integrating when an observer throws: the same state a failure
    // part-way leaves (changes in memory that will never be stored).
    await runInDurableObject(stubFor(docId), async (object: DocumentObject) => {
      (await object.room.getDoc()).getText("text").observe((event) => {
        if (event.delta.some((d) => typeof d.insert === "string" && d.insert.includes("boom"))) throw new Error("apply failed part-way");
      });
    });
    const adaDoc = typist();
    const bobDoc = typist();
    ada.sendUpdate(adaDoc.type("ada "));
    await reader.waitFor("update");
    const { release } = await holdCommits(docId);
    bob.sendUpdate(bobDoc.type("bob")); // buffered behind the held commit
    await roundTrip(bob, 2);
    ada.sendUpdate(adaDoc.type("boom"));
    const closed = await ada.closed;
    expect(closed.code).toBe(CloseCode.invalidUpdate);

    release();
    const fresh = await RawClient.connect(docId);
    const text = (await fresh.fetchDoc()).getText("text").toString();
    expect(text).toContain("ada ");
    expect(text).toContain("bob");
    expect(text).not.toContain("boom");
    await reader.waitFor("update", () => {
      const mirror = new Y.Doc();
      for (const m of reader.messages) if (m.type === "update") Y.applyUpdate(mirror, m.update);
      return mirror.getText("text").toString().includes("bob");
    });
    expect(await runInDurableObject(stubFor(docId), async (object: DocumentObject) => (await object.room.getDoc()).getText("text").toString())).toBe(text);
  });
});
