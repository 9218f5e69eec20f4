import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { DocumentObject } from "../../src/document/DocumentObject";
import type { QuireEvent } from "../../src/events/eventTypes";
import { DEFAULT_DEBOUNCE_MS } from "../../src/events/outbox";
import { encodeAckRequest } from "../../src/protocol/messages";
import { admin, adminJson, updateOf } from "../admin/adminClient";
import { RawClient, stubFor, textUpdate, tokenFor, uniqueDocId } from "../helpers/workerClient";

interface Sent {
  event: QuireEvent;
  at: number;
}

/**
 * Records every event the document's object hands to the queue (after the queue took it). Holds
 * for the object's current instance: call it again after an eviction.
 */
async function recordEvents(docId: string): Promise<Sent[]> {
  const sent: Sent[] = [];
  await runInDurableObject(stubFor(docId), (object: DocumentObject) => {
    const send = object.events.send.bind(object.events);
    object.events.send = async (events) => {
      await send(events);
      sent.push(...events.map((event) => ({ event, at: Date.now() })));
    };
  });
  return sent;
}

const ofType = (sent: Sent[], type: string) => sent.filter((s) => s.event.type === type);

/** The editor's own document: one client id for all its edits, as a real editor has. */
const editorDocs = new WeakMap<RawClient, Y.Doc>();

/** Sends updates and waits until the server has durably stored all of them. */
async function edit(client: RawClient, texts: string[], marker: number): Promise<void> {
  if (!editorDocs.has(client)) editorDocs.set(client, new Y.Doc());
  for (const text of texts) client.sendUpdate(textUpdate(text, editorDocs.get(client)));
  client.send(encodeAckRequest(marker));
  await client.waitFor("ack", (m) => m.seq === marker, 20_000);
}

const inObject = <T>(docId: string, read: (object: DocumentObject) => T | Promise<T>) => runInDurableObject(stubFor(docId), read);

describe("change events from a document", () => {
  it("a burst of 1,000 edits gives one document.updated at once and then at most one per debounce period", { timeout: 60_000 }, async () => {
    const id = uniqueDocId("burst");
    const sent = await recordEvents(id);
    const client = await RawClient.connect(id, { ext: "ack", token: await tokenFor(id, "write", "ada") });
    await edit(client, ["first "], 1);
    // The first edit after a quiet spell is announced at once (by the alarm, not after the debounce).
    await expect.poll(() => ofType(sent, "document.updated").length, { timeout: DEFAULT_DEBOUNCE_MS - 1000 }).toBe(1);

    const started = Date.now();
    await edit(client, Array.from({ length: 1000 }, (_, i) => `edit ${i} `), 2);
    const burstMs = Date.now() - started;
    const seq = await inObject(id, (object) => object.log.lastSeq());
    await expect.poll(() => ofType(sent, "document.updated").at(-1)?.event.seq, { timeout: burstMs + 2 * DEFAULT_DEBOUNCE_MS }).toBe(seq);

    const updates = ofType(sent, "document.updated");
    for (let i = 1; i < updates.length; i++) expect(updates[i].at - updates[i - 1].at).toBeGreaterThanOrEqual(DEFAULT_DEBOUNCE_MS - 50);
    expect(updates.length).toBeLessThanOrEqual(1 + Math.ceil(burstMs / DEFAULT_DEBOUNCE_MS) + 1);
    expect(updates.at(-1)!.event).toMatchObject({ type: "document.updated", docId: id, seq, lastEditor: "ada" });
    expect(updates.at(-1)!.event.sizeBytes).toBeGreaterThan(1000 * 5);
    expect(ofType(sent, "document.created")).toHaveLength(1);
    expect(new Set(sent.map((s) => s.event.id)).size).toBe(sent.length);
    console.log(
      `[events] 1 + 1,000 edits in ${burstMs} ms gave ${sent.length} queue messages: ${updates.length} document.updated, 1 document.created` +
        ` (${await inObject(id, (object) => object.log.stats().updates)} group-commit batches stored)`,
    );
    client.close();
  });

  it("a pending document.updated survives hibernation and is sent by the alarm that wakes the object", { timeout: 30_000 }, async () => {
    const id = uniqueDocId("hibernate");
    const sent = await recordEvents(id);
    const client = await RawClient.connect(id, { ext: "ack", token: await tokenFor(id, "write", "bob") });
    await edit(client, ["one "], 1);
    await expect.poll(() => ofType(sent, "document.updated").length).toBe(1);
    await edit(client, ["two "], 2);
    const dueAt = await inObject(id, (object) => object.events.pendingUpdateAt());
    expect(dueAt).toBeGreaterThanOrEqual(ofType(sent, "document.updated")[0].at + DEFAULT_DEBOUNCE_MS - 50);

    await evictDurableObject(stubFor(id), { webSockets: "hibernate" });
    const afterWake = await recordEvents(id);
    expect(await inObject(id, (object) => object.events.pendingUpdateAt())).toBe(dueAt);
    await expect.poll(() => ofType(afterWake, "document.updated").length, { timeout: DEFAULT_DEBOUNCE_MS + 5000 }).toBe(1);
    expect(ofType(afterWake, "document.updated")[0].event).toMatchObject({ seq: 2, lastEditor: "bob" });
    client.close();
  });

  it("once its events are sent, a document asks the alarm for nothing on their account", { timeout: 30_000 }, async () => {
    const id = uniqueDocId("idle");
    const sent = await recordEvents(id);
    await adminJson("PUT", `/v1/docs/${id}`, 201, { body: updateOf((doc) => doc.getText("text").insert(0, "content")) });
    await expect.poll(() => sent.map((s) => s.event.type).sort()).toEqual(["document.created", "document.updated"]);
    await inObject(id, async (object) => {
      expect(object.events.waiting()).toEqual([]);
      expect(object.events.pendingUpdateAt()).toBeNull();
      const asked: number[] = [];
      const requestBy = object.alarms.requestBy.bind(object.alarms);
      object.alarms.requestBy = (at) => {
        asked.push(at);
        return requestBy(at);
      };
      await object.events.runIfDue();
      expect(asked).toEqual([]);
    });
  });

  it("keeps events while the queue refuses them, editing carries on, and sends them once it is back", { timeout: 30_000 }, async () => {
    const id = uniqueDocId("outage");
    const sent = await recordEvents(id);
    const queue = { down: true };
    await inObject(id, (object) => {
      const send = object.events.send.bind(object.events);
      object.events.send = (events) => (queue.down ? Promise.reject(new Error("simulated queue outage")) : send(events));
    });
    await adminJson("PUT", `/v1/docs/${id}`, 201, { body: updateOf((doc) => doc.getText("text").insert(0, "a")) });
    await expect.poll(() => inObject(id, (object) => object.events.waiting().map((e) => e.type))).toEqual(["document.created", "document.updated"]);
    // A later edit replaces the unsent document.updated rather than queueing a second one.
    expect((await admin("POST", `/v1/docs/${id}/update`, { body: updateOf((doc) => doc.getMap("m").set("k", 1)) })).status).toBe(200);
    const dueAt = await inObject(id, (object) => object.events.pendingUpdateAt());
    expect(dueAt).not.toBeNull();
    await inObject(id, (object) => object.events.runIfDue(dueAt! + 1));
    const waiting = await inObject(id, (object) => object.events.waiting());
    expect(waiting.map((e) => e.type)).toEqual(["document.created", "document.updated"]);
    expect(sent).toEqual([]);

    queue.down = false;
    await inObject(id, (object) => object.events.runIfDue());
    expect(sent.map((s) => s.event.id)).toEqual(waiting.map((e) => e.id));
    expect(ofType(sent, "document.updated")[0].event.seq).toBe(2);
    expect(await inObject(id, (object) => object.events.waiting())).toEqual([]);
  });

  it("announces creation, snapshots, restores and deletion, through the queue to the webhooks", { timeout: 60_000 }, async () => {
    // No receiver answers here; every first attempt is still logged, which shows what the consumer got.
    const hook = await adminJson<{ id: string }>("POST", "/v1/webhooks", 201, { body: { url: "https://127.0.0.1:9/quire" } });
    try {
      const id = uniqueDocId("lifecycle");
      const sent = await recordEvents(id);
      await adminJson("PUT", `/v1/docs/${id}`, 201, { body: updateOf((doc) => doc.getText("text").insert(0, "v1")) });
      const first = await adminJson<{ snapshot: { id: string; seq: number } }>("POST", `/v1/docs/${id}/snapshots`, 201);
      await adminJson("POST", `/v1/docs/${id}/update`, 200, { body: updateOf((doc) => doc.getText("other").insert(0, "v2")) });
      await adminJson("POST", `/v1/docs/${id}/snapshots/${first.snapshot.id}/restore`, 200);
      await expect.poll(() => ofType(sent, "snapshot.restored").length).toBe(1);

      expect(ofType(sent, "snapshot.created")[0].event).toMatchObject({ snapshotId: first.snapshot.id, seq: first.snapshot.seq, lastEditor: "admin" });
      expect(ofType(sent, "snapshot.restored")[0].event).toMatchObject({ snapshotId: first.snapshot.id, docId: id, lastEditor: "admin" });
      expect(ofType(sent, "snapshot.created")).toHaveLength(2); // the restore is snapshotted too

      expect((await admin("DELETE", `/v1/docs/${id}`)).status).toBe(204);
      const types = async () => {
        const { deliveries } = await adminJson<{ deliveries: Array<{ docId: string; eventType: string; attempt: number }> }>("GET", `/v1/webhooks/${hook.id}/deliveries?limit=500`, 200);
        return [...new Set(deliveries.filter((d) => d.docId === id && d.attempt === 1).map((d) => d.eventType))].sort();
      };
      await expect.poll(types, { timeout: 20_000 }).toEqual(["document.created", "document.deleted", "document.updated", "snapshot.created", "snapshot.restored"]);
    } finally {
      await admin("DELETE", `/v1/webhooks/${hook.id}`);
    }
  });
});
