import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { documentObjectsPrefix } from "../../src/admin/documentAdmin";
import type { DocumentObject } from "../../src/document/DocumentObject";
import { getDocument } from "../../src/metadata/documentIndex";
import { CloseCode } from "../../src/protocol/closeCodes";
import { snapshotPrefix } from "../../src/snapshots/archive";
import { RawClient, stubFor, textUpdate, uniqueDocId } from "../helpers/workerClient";
import { admin, adminJson, createDoc, errorCode, updateOf } from "./adminClient";

const r2Keys = async (prefix: string) => (await env.SNAPSHOTS.list({ prefix })).objects.map((o) => o.key);

/** What the object holds in storage; a table the delete removed and nothing re-created holds 0 rows. */
const storedData = (docId: string) =>
  runInDurableObject(stubFor(docId), async (_: DocumentObject, state: DurableObjectState) => {
    const tables = new Set(state.storage.sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`).toArray().map((row) => row.name));
    const count = (table: string) => (tables.has(table) ? state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n : 0);
    return { log: count("update_log"), meta: count("document_meta"), snapshots: count("snapshots"), alarm: await state.storage.getAlarm() };
  });

describe("DELETE /v1/docs/:docId", () => {
  it("removes the document from its storage, R2 and the index, and closes clients with 4410", async () => {
    const id = await createDoc(uniqueDocId("delete"), { metadata: { title: "doomed" } });
    const neighbour = await createDoc(`${id}x`); // shares the id as a prefix; must survive
    const client = await RawClient.connect(id);
    client.sendUpdate(textUpdate("some content"));
    await client.fetchDoc();
    await runInDurableObject(stubFor(id), (object: DocumentObject) => object.compactor.compact("manual"));
    await env.SNAPSHOTS.put(`${documentObjectsPrefix(id)}other/object`, "x");
    await runInDurableObject(stubFor(neighbour), (object: DocumentObject) => object.compactor.compact("manual"));
    expect(snapshotPrefix(id).startsWith(documentObjectsPrefix(id))).toBe(true);
    expect(await r2Keys(snapshotPrefix(id))).toHaveLength(1);
    expect(await getDocument(env.DB, id)).not.toBeNull();

    const response = await admin("DELETE", `/v1/docs/${id}`);
    expect(response.status).toBe(204);

    expect((await client.closed).code).toBe(CloseCode.documentDeleted);
    expect(await getDocument(env.DB, id)).toBeNull();
    expect(await r2Keys(documentObjectsPrefix(id))).toEqual([]);
    expect(await storedData(id)).toEqual({ log: 0, meta: 0, snapshots: 0, alarm: null });
    expect(await errorCode(await admin("GET", `/v1/docs/${id}`), 404)).toBe("not_found");
    expect(await errorCode(await admin("DELETE", `/v1/docs/${id}`), 404)).toBe("not_found");

    expect(await r2Keys(snapshotPrefix(neighbour))).toHaveLength(1);
    expect(await getDocument(env.DB, neighbour)).not.toBeNull();
  });

  it("leaves the object's storage completely empty, with no alarm", async () => {
    const id = await createDoc(uniqueDocId("delete-empty"), updateOf((d) => d.getText("t").insert(0, "x")));
    const left = await runInDurableObject(stubFor(id), async (object: DocumentObject, state: DurableObjectState) => {
      await object.adminDelete(id);
      return {
        tables: state.storage.sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'`).toArray(),
        alarm: await state.storage.getAlarm(),
      };
    });
    expect(left).toEqual({ tables: [], alarm: null });
  });

  it("is not undone by an index sync that was pending or in flight", async () => {
    const id = await createDoc(uniqueDocId("delete-race"));
    // An edit marks the row dirty and sets the alarm for a later sync. (The alarm may be running
    // already, for the edit's change event, and then sets it again before it ends.)
    await adminJson("POST", `/v1/docs/${id}/update`, 200, { body: updateOf((d) => d.getText("t").insert(0, "x")) });
    await expect.poll(() => runInDurableObject(stubFor(id), (_: DocumentObject, state: DurableObjectState) => state.storage.getAlarm())).not.toBeNull();
    // A sync started just before the delete, racing it inside the object.
    await runInDurableObject(stubFor(id), async (object: DocumentObject) => {
      const sync = object.indexSync.syncNow();
      const deletion = object.adminDelete(id);
      await Promise.all([sync, deletion]);
      await object.indexSync.runIfDue(Number.MAX_SAFE_INTEGER);
    });
    expect(await runDurableObjectAlarm(stubFor(id))).toBe(false);
    expect(await getDocument(env.DB, id)).toBeNull();
  });

  it("lets a new client start the id afresh, empty, after the delete", async () => {
    const id = await createDoc(uniqueDocId("delete-reuse"), updateOf((d) => d.getText("text").insert(0, "old")));
    expect((await admin("DELETE", `/v1/docs/${id}`)).status).toBe(204);
    const client = await RawClient.connect(id);
    expect((await client.fetchDoc()).getText("text").toString()).toBe("");
    await expect.poll(async () => (await getDocument(env.DB, id))?.record.connections, { timeout: 15_000 }).toBe(1);
    client.close();
  });

  it("keeps nothing of the deleted document in the object's memory: the next one has its own creation time and log", async () => {
    const id = await createDoc(uniqueDocId("delete-memory"), updateOf((d) => d.getText("text").insert(0, "old")));
    await adminJson("POST", `/v1/docs/${id}/update`, 200, { body: updateOf((d) => d.getText("text").insert(0, "older")) });
    const before = await adminJson("GET", `/v1/docs/${id}`, 200);
    await new Promise((resolve) => setTimeout(resolve, 5)); // a later millisecond for the next creation time
    expect((await admin("DELETE", `/v1/docs/${id}`)).status).toBe(204);
    await createDoc(id, updateOf((d) => d.getText("text").insert(0, "new")));
    const after = await adminJson("GET", `/v1/docs/${id}`, 200);
    expect(Date.parse(after.createdAt)).toBeGreaterThan(Date.parse(before.createdAt));
    expect(await runInDurableObject(stubFor(id), (object: DocumentObject) => object.log.lastSeq())).toBe(1);
  });

  it("an alarm set after the delete (by a compaction that failed against the emptied storage) finds nothing to do", async () => {
    const id = await createDoc(uniqueDocId("delete-alarm"), updateOf((d) => d.getText("text").insert(0, "x")));
    expect((await admin("DELETE", `/v1/docs/${id}`)).status).toBe(204);
    await runInDurableObject(stubFor(id), (_: DocumentObject, state: DurableObjectState) => state.storage.setAlarm(Date.now() + 60_000));
    expect(await runDurableObjectAlarm(stubFor(id))).toBe(true);
    expect(await storedData(id)).toEqual({ log: 0, meta: 0, snapshots: 0, alarm: null });
  });

  it("is 404 for an unknown document and 400 for a bad id", async () => {
    expect(await errorCode(await admin("DELETE", `/v1/docs/${uniqueDocId("delete-unknown")}`), 404)).toBe("not_found");
    expect(await errorCode(await admin("DELETE", "/v1/docs/no%20spaces"), 400)).toBe("invalid_doc_id");
  });

  it("waits for a snapshot upload in flight, so nothing of the document lands in R2 after it", async () => {
    const id = await createDoc(uniqueDocId("delete-upload"));
    await adminJson("POST", `/v1/docs/${id}/update`, 200, { body: updateOf((doc) => doc.getText("text").insert(0, "content")) });
    let releaseUpload!: () => void;
    const uploadHeld = new Promise<void>((resolve) => (releaseUpload = resolve));
    await runInDurableObject(stubFor(id), (object: DocumentObject) => {
      const put = object.compactor.archive.put.bind(object.compactor.archive);
      object.compactor.archive.put = async (...args) => {
        await uploadHeld;
        return put(...args);
      };
      void object.compactor.compact("manual").catch(() => undefined);
    });
    const deleting = admin("DELETE", `/v1/docs/${id}`);
    // Release the upload only once the delete has emptied the object's storage and is sweeping.
    await eventuallyTrue(() => runInDurableObject(stubFor(id), (object: DocumentObject) => (object as unknown as { wiped: boolean }).wiped));
    releaseUpload();
    expect((await deleting).status).toBe(204);
    expect(await r2Keys(documentObjectsPrefix(id))).toEqual([]);
  });
});

async function eventuallyTrue(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
