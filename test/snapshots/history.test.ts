import { env, exports } from "cloudflare:workers";
import { evictDurableObject, listDurableObjectIds } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { SnapshotInfo } from "../../src/snapshots/history";
import { stubFor, uniqueDocId } from "../helpers/workerClient";
import { admin, eventually, inObject, serverDoc, sha256Hex } from "./helpers";
import { LiveClient } from "./liveClient";

/** What the four kinds of root hold, read the same way on every client. */
function view(doc: Y.Doc) {
  return {
    text: doc.getText("text").toDelta(),
    map: doc.getMap("map").toJSON(),
    list: doc.getArray("list").toJSON(),
    prose: doc.getXmlFragment("prose").toString(),
  };
}

async function snapshotNow(docId: string): Promise<SnapshotInfo> {
  // A document exists for the API once the index has it, moments after a client first opens it
  // (later still on a loaded machine): wait for that instead of racing it.
  await eventually(async () => expect((await admin(`/v1/docs/${docId}`)).status).toBe(200));
  const response = await admin(`/v1/docs/${docId}/snapshots`, { method: "POST" });
  expect(response.status).toBe(201);
  return ((await response.json()) as { snapshot: SnapshotInfo }).snapshot;
}

function writeVersion(doc: Y.Doc, label: string): void {
  doc.transact(() => {
    const text = doc.getText("text");
    text.delete(0, text.length);
    text.insert(0, `${label} text`, { bold: label === "one" ? true : null });
    doc.getMap("map").set("version", label);
    if (label !== "one") doc.getMap("map").delete("first");
    else doc.getMap("map").set("first", true);
    const list = doc.getArray<string>("list");
    list.delete(0, list.length);
    list.push([label, `${label}!`]);
    const prose = doc.getXmlFragment("prose");
    prose.delete(0, prose.length);
    const paragraph = new Y.XmlElement("p");
    paragraph.setAttribute("data-version", label);
    paragraph.insert(0, [new Y.XmlText(`${label} paragraph`)]);
    prose.insert(0, [paragraph]);
  });
}

describe("history over the admin API", () => {
  it("requires the admin token", async () => {
    const response = await exports.default.fetch("http://quire.test/v1/docs/anything/snapshots");
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
  });

  it("lists snapshots newest first, serves each as a Yjs update matching its checksum, and 404s unknown ones", async () => {
    const docId = uniqueDocId("history");
    const client = await LiveClient.connect(docId);
    client.doc.getText("text").insert(0, "one");
    await waitForSeq(docId, 1);
    const first = await snapshotNow(docId);
    client.doc.getText("text").insert(3, " two");
    await waitForSeq(docId, 2);
    const second = await snapshotNow(docId);

    const again = await admin(`/v1/docs/${docId}/snapshots`, { method: "POST" });
    expect(again.status).toBe(200); // nothing new: the newest snapshot comes back, none is created
    expect(((await again.json()) as { snapshot: SnapshotInfo; created: boolean }).created).toBe(false);

    const list = (await (await admin(`/v1/docs/${docId}/snapshots`)).json()) as { snapshots: SnapshotInfo[] };
    expect(list.snapshots.map((s) => s.id)).toEqual([second.id, first.id]);
    expect(Object.keys(list.snapshots[0]).sort()).toEqual(["createdAt", "encoding", "id", "reason", "seq", "sha256", "size"]);
    expect(first.encoding).toBe("v2");

    // By default the answer is a V1 update, which every Yjs client applies with Y.applyUpdate.
    const response = await admin(`/v1/docs/${docId}/snapshots/${first.id}/update`);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("application/octet-stream");
    expect(response.headers.get("X-Quire-Snapshot-Sha256")).toBe(first.sha256);
    expect(response.headers.get("X-Quire-Update-Encoding")).toBe("v1");
    const doc = new Y.Doc();
    Y.applyUpdate(doc, new Uint8Array(await response.arrayBuffer()));
    expect(doc.getText("text").toString()).toBe("one");

    // As stored: V2, byte for byte what the checksum covers.
    const stored = await admin(`/v1/docs/${docId}/snapshots/${first.id}/update?encoding=v2`);
    const bytes = new Uint8Array(await stored.arrayBuffer());
    expect(bytes.byteLength).toBe(first.size);
    expect(await sha256Hex(bytes)).toBe(first.sha256);
    const docV2 = new Y.Doc();
    Y.applyUpdateV2(docV2, bytes);
    expect(docV2.getText("text").toString()).toBe("one");
    expect((await admin(`/v1/docs/${docId}/snapshots/${first.id}/update?encoding=v3`)).status).toBe(400);

    // Bytes in R2 that no longer match the stored checksum are refused, not served.
    const key = (await inObject(docId, (object) => object.compactor.index.get(first.seq)))!.key;
    await env.SNAPSHOTS.put(key, new Uint8Array([0, 0]));
    const corrupt = await admin(`/v1/docs/${docId}/snapshots/${first.id}/update`);
    expect(corrupt.status).toBe(502);
    expect(((await corrupt.json()) as { error: { code: string } }).error.code).toBe("snapshot_unavailable");

    for (const path of [`snapshots/12345/update`, `snapshots/nope/update`, `snapshots/12345/restore`]) {
      const missing = await admin(`/v1/docs/${docId}/${path}`, { method: path.endsWith("restore") ? "POST" : "GET" });
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("snapshot_not_found");
    }
    client.close();
  });

  it("restore brings two live clients and later ones to the snapshot's content, and restoring a later snapshot undoes it", async () => {
    const docId = uniqueDocId("restore");
    const alice = await LiveClient.connect(docId);
    const bob = await LiveClient.connect(docId);
    writeVersion(alice.doc, "one");
    await bob.until((doc) => doc.getMap("map").get("version") === "one");
    const one = await snapshotNow(docId);
    const versionOne = view(alice.doc);

    writeVersion(bob.doc, "two");
    bob.doc.getText("text").insert(0, "Bob says: ");
    await alice.until((doc) => doc.getText("text").toString().startsWith("Bob says"));
    const two = await snapshotNow(docId);
    const versionTwo = view(bob.doc);
    expect(versionTwo).not.toEqual(versionOne);

    const restored = await admin(`/v1/docs/${docId}/snapshots/${one.id}/restore`, { method: "POST" });
    expect(restored.status).toBe(200);
    const result = (await restored.json()) as { restoredFrom: SnapshotInfo; changed: boolean; snapshot: SnapshotInfo };
    expect(result.restoredFrom.id).toBe(one.id);
    expect(result.changed).toBe(true);
    expect(result.snapshot.reason).toBe("restore"); // the restore is itself in history

    const isOne = (doc: Y.Doc) => JSON.stringify(view(doc)) === JSON.stringify(versionOne);
    await alice.until(isOne);
    await bob.until(isOne);
    expect(view(await serverDoc(docId))).toEqual(versionOne);
    await evictDurableObject(stubFor(docId), { webSockets: "close" });
    const carol = await LiveClient.connect(docId); // connects later, to a freshly loaded object
    expect(view(carol.doc)).toEqual(versionOne);

    // Editing on top of the restore works as usual, and restoring the later snapshot undoes both.
    const before = await inObject(docId, (object) => object.log.lastSeq());
    carol.doc.getText("text").insert(0, "Carol: ");
    await waitForSeq(docId, before + 1);
    const back = await admin(`/v1/docs/${docId}/snapshots/${two.id}/restore`, { method: "POST" });
    expect(back.status).toBe(200);
    await carol.until((doc) => JSON.stringify(view(doc)) === JSON.stringify(versionTwo));
    expect(view(await serverDoc(docId))).toEqual(versionTwo);
    const list = (await (await admin(`/v1/docs/${docId}/snapshots`)).json()) as { snapshots: SnapshotInfo[] };
    expect(list.snapshots.map((s) => s.reason)).toEqual(["restore", "restore", "manual", "manual"]);
    for (const client of [alice, bob, carol]) client.close();
  }, 20_000);
});

/** Waits until the server has logged `seq` updates (client edits travel asynchronously). */
function waitForSeq(docId: string, seq: number): Promise<void> {
  return eventually(async () => expect(await inObject(docId, (object) => object.log.lastSeq())).toBeGreaterThanOrEqual(seq));
}

describe("history routes for an unknown document", () => {
  it.each([
    ["GET", "/snapshots"],
    ["POST", "/snapshots"],
    ["GET", "/snapshots/1/update"],
    ["POST", "/snapshots/1/restore"],
  ])("%s %s answers 404 and creates nothing", async (method, path) => {
    const docId = uniqueDocId("never-created");
    const response = await admin(`/v1/docs/${docId}${path}`, { method });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "not_found" } });
    const objects = await listDurableObjectIds(env.DOCUMENTS);
    expect(objects.some((id) => id.equals(env.DOCUMENTS.idFromName(docId)))).toBe(false);
  });
});
