import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { DocumentObject } from "../../src/document/DocumentObject";
import { ghosts, SILENT_LIMIT_MS } from "../../src/document/reaping";
import { type AwarenessEntry, decodeAwarenessUpdate, encodeAwarenessUpdate } from "../../src/protocol/awareness";
import { CloseCode } from "../../src/protocol/closeCodes";
import { encodeAwareness } from "../../src/protocol/messages";
import { RawClient, stubFor, textUpdate, uniqueDocId } from "../helpers/workerClient";

const received = (client: RawClient): AwarenessEntry[] =>
  client.messages.flatMap((m) => (m.type === "awareness" ? decodeAwarenessUpdate(m.update) : []));

const detail = async (docId: string) => {
  const response = await exports.default.fetch(`http://quire.test/v1/docs/${docId}`, { headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}` } });
  return (await response.json()) as { wakes: number; lastWakeAt: string | null };
};

const reapAt = (docId: string, now: number) =>
  runInDurableObject(stubFor(docId), (object: DocumentObject) => (object as unknown as { reapGhosts(now: number): Promise<void> }).reapGhosts(now));

describe("wakes", () => {
  it("GET /v1/docs/:docId counts how often the document's object has started", async () => {
    const docId = uniqueDocId("wakes");
    const client = await RawClient.connect(docId);
    client.sendUpdate(textUpdate("hello"));
    await client.fetchDoc();
    await expect.poll(async () => (await exports.default.fetch(`http://quire.test/v1/docs/${docId}`, { headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}` } })).status, { timeout: 15_000 }).toBe(200);
    const before = await detail(docId);
    await evictDurableObject(stubFor(docId), { webSockets: "hibernate" });
    client.sendUpdate(textUpdate("again")); // wakes it
    await client.fetchDoc();
    const after = await detail(docId);
    expect(after.wakes).toBe(before.wakes + 1);
    expect(Date.parse(after.lastWakeAt!)).toBeGreaterThanOrEqual(Date.parse(before.lastWakeAt ?? "1970-01-01T00:00:00Z"));
  });
});

describe("ghost reaping", () => {
  it("counts only connections silent for longer than twice the SDK heartbeat", () => {
    const now = 1_000_000;
    const live = { heardAt: now - SILENT_LIMIT_MS };
    const ghost = { heardAt: now - SILENT_LIMIT_MS - 1 };
    expect(ghosts([live, ghost], now)).toEqual([ghost]);
  });

  it("closes a silent connection with 4508 and removes its presence for the others", async () => {
    const docId = uniqueDocId("ghost");
    const ghost = await RawClient.connect(docId);
    const alive = await RawClient.connect(docId);
    ghost.send(encodeAwareness(encodeAwarenessUpdate([{ clientId: 1, clock: 1, state: '{"name":"gone"}' }])));
    await alive.waitFor("awareness", () => received(alive).some((e) => e.clientId === 1));
    const later = Date.now() + SILENT_LIMIT_MS + 5_000;
    // The live client was heard just now, as far as the reaper at `later` knows.
    await runInDurableObject(stubFor(docId), (object: DocumentObject) => {
      for (const connection of object.connections()) if (connection.presence.length === 0) connection.noteSeen(later);
    });
    await reapAt(docId, later);
    expect((await ghost.closed).code).toBe(CloseCode.connectionTimedOut);
    await alive.waitFor("awareness", () => received(alive).some((e) => e.clientId === 1 && e.state === "null"));
    expect(await runInDurableObject(stubFor(docId), (object: DocumentObject) => object.connections().length)).toBe(1);
  });

  it("asks for an alarm while connections are open, and none once they are gone", async () => {
    const docId = uniqueDocId("reap-alarm");
    const client = await RawClient.connect(docId);
    await client.waitFor("sync-step1");
    const interval = await runInDurableObject(stubFor(docId), (object: DocumentObject) => object.reapIntervalMs);
    // Requested as the connection is accepted, written a moment later.
    const alarm = await expect
      .poll(() => runInDurableObject(stubFor(docId), (_: DocumentObject, state: DurableObjectState) => state.storage.getAlarm()), { timeout: 10_000 })
      .not.toBeNull()
      .then(() => runInDurableObject(stubFor(docId), (_: DocumentObject, state: DurableObjectState) => state.storage.getAlarm()));
    expect(alarm! - Date.now()).toBeLessThanOrEqual(interval);
    client.close();
    await expect.poll(() => runInDurableObject(stubFor(docId), (object: DocumentObject) => object.connections().length), { timeout: 10_000 }).toBe(0);
    // The index sync still has the closed connection to write (5 s later); after that, nothing is left.
    await expect
      .poll(async () => {
        await runDurableObjectAlarm(stubFor(docId));
        return runInDurableObject(stubFor(docId), (_: DocumentObject, state: DurableObjectState) => state.storage.getAlarm());
      }, { timeout: 20_000, interval: 1_000 })
      .toBeNull();
  }, 30_000);
});
