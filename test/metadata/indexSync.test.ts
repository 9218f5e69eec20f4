import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { DocumentObject } from "../../src/document/DocumentObject";
import { getDocument } from "../../src/metadata/documentIndex";
import { INDEX_RETRY_DELAY_MS, INDEX_SYNC_DELAY_MS } from "../../src/metadata/indexSync";
import { RawClient, stubFor, textUpdate, tokenFor, uniqueDocId } from "../helpers/workerClient";

const indexed = async (docId: string) => (await getDocument(env.DB, docId))?.record ?? null;

/** Sends `count` edits as `userId` and waits for the server's ack of all of them. */
async function edit(docId: string, userId: string, count: number): Promise<RawClient> {
  const client = await RawClient.connect(docId, { ext: "ack", token: await tokenFor(docId, "write", userId) });
  for (let i = 0; i < count; i++) client.sendUpdate(textUpdate(`edit ${i} `));
  client.send(new Uint8Array([100, 0, 7]));
  await client.waitFor("ack", (m) => m.seq === 7, 10_000);
  return client;
}

beforeAll(async () => {
  // Every write to the index is counted, and writes for ids starting with "outage-" fail like a D1 outage.
  await env.DB.batch([
    env.DB.prepare(`CREATE TABLE IF NOT EXISTS index_writes (id TEXT NOT NULL)`),
    env.DB.prepare(`CREATE TRIGGER IF NOT EXISTS count_inserts AFTER INSERT ON documents BEGIN INSERT INTO index_writes VALUES (NEW.id); END`),
    env.DB.prepare(`CREATE TRIGGER IF NOT EXISTS count_updates AFTER UPDATE ON documents BEGIN INSERT INTO index_writes VALUES (NEW.id); END`),
    env.DB.prepare(`CREATE TABLE IF NOT EXISTS outage (on_off INTEGER NOT NULL)`),
    env.DB.prepare(
      `CREATE TRIGGER IF NOT EXISTS fail_inserts BEFORE INSERT ON documents WHEN NEW.id LIKE 'outage-%' AND EXISTS (SELECT 1 FROM outage WHERE on_off = 1) BEGIN SELECT RAISE(ABORT, 'simulated D1 outage'); END`,
    ),
  ]);
});

const writesFor = async (docId: string) =>
  (await env.DB.prepare(`SELECT COUNT(*) AS n FROM index_writes WHERE id = ?`).bind(docId).first<{ n: number }>())!.n;

describe("the D1 index", () => {
  it("lists a document as soon as a client opens it over a WebSocket", async () => {
    const id = uniqueDocId("ws-new");
    const client = await RawClient.connect(id);
    await expect.poll(() => indexed(id), { timeout: 20_000 }).toMatchObject({ id, connections: 1, updateCount: 0 });
    client.close();
  });

  it("follows edits made over WebSockets: size, log length, last editor, connections", { timeout: 90_000 }, async () => {
    const id = uniqueDocId("ws-edits");
    const client = await edit(id, "ada", 3);
    await expect.poll(() => indexed(id), { timeout: INDEX_SYNC_DELAY_MS + 30_000 }).toMatchObject({ updateCount: 3, lastEditor: "ada", connections: 1 });
    const row = (await indexed(id))!;
    const live = await runInDurableObject(stubFor(id), (object: DocumentObject) => object.adminInfo(id));
    expect(row.sizeBytes).toBe(live!.sizeBytes);
    expect(row.sizeBytes).toBeGreaterThan(20);
    expect(row.updatedAt).toBeGreaterThanOrEqual(row.createdAt);

    client.close();
    await expect.poll(async () => (await indexed(id))?.connections, { timeout: INDEX_SYNC_DELAY_MS + 30_000 }).toBe(0);
  });

  it("costs one D1 write for a short burst of edits, and one per sync period for a longer one", { timeout: 120_000 }, async () => {
    const id = uniqueDocId("ws-burst");
    const client = await RawClient.connect(id, { ext: "ack", token: await tokenFor(id, "write", "burst") });
    await expect.poll(() => indexed(id), { timeout: 20_000 }).not.toBeNull();
    expect(await writesFor(id)).toBe(1);

    // The bound depends on how long the burst lasts (README: a burst of T seconds costs at most
    // ceil(T/5)+1 writes), so it is measured: one write for it when it is short, as it is on an idle
    // machine, and no more than the bound when a loaded machine stretches it.
    const startedAt = Date.now();
    for (let i = 0; i < 200; i++) client.sendUpdate(textUpdate(`edit ${i} `));
    client.send(new Uint8Array([100, 0, 7]));
    await client.waitFor("ack", (m) => m.seq === 7, 60_000);
    const periods = Math.floor((Date.now() - startedAt) / INDEX_SYNC_DELAY_MS);
    expect((await writesFor(id)) - 1, "writes while the burst is under way").toBeLessThanOrEqual(periods);
    await expect.poll(async () => (await indexed(id))?.updateCount, { timeout: INDEX_SYNC_DELAY_MS + 30_000 }).toBe(200);
    const writes = (await writesFor(id)) - 1;
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes, "writes for the whole burst").toBeLessThanOrEqual(periods + 1);
    const pending = await runInDurableObject(stubFor(id), (object: DocumentObject) => object.meta.get("index_sync"));
    expect(JSON.parse(pending!)).toEqual({ dueAt: null, indexed: true });
    client.close();
  });

  it("catches up after the object hibernates before its sync is due", { timeout: 90_000 }, async () => {
    const id = uniqueDocId("ws-hibernate");
    const client = await RawClient.connect(id, { ext: "ack", token: await tokenFor(id, "write", "bob") });
    await expect.poll(() => indexed(id), { timeout: 20_000 }).not.toBeNull();
    client.sendUpdate(textUpdate("written before the object slept"));
    client.send(new Uint8Array([100, 0, 1]));
    await client.waitFor("ack", (m) => m.seq === 1);
    await evictDurableObject(stubFor(id), { webSockets: "hibernate" });
    await expect.poll(() => indexed(id), { timeout: INDEX_SYNC_DELAY_MS + 30_000 }).toMatchObject({ updateCount: 1, lastEditor: "bob", connections: 1 });
    const live = await runInDurableObject(stubFor(id), (object: DocumentObject) => object.adminInfo(id));
    expect((await indexed(id))!.sizeBytes).toBe(live!.sizeBytes);
    expect(live!.sizeBytes).toBeGreaterThan(30);
    client.close();
  });

  it("lets editing carry on while D1 fails, and catches up once it is back", { timeout: 90_000 }, async () => {
    await env.DB.prepare(`INSERT INTO outage VALUES (1)`).run();
    const id = `outage-${crypto.randomUUID()}`;
    try {
      const client = await edit(id, "ada", 5); // acked: stored despite the index failing
      await expect
        .poll(() => runInDurableObject(stubFor(id), (object: DocumentObject) => JSON.parse(object.meta.get("index_sync") ?? "{}").dueAt))
        .toBeGreaterThan(Date.now() + INDEX_RETRY_DELAY_MS / 2);
      expect(await indexed(id)).toBeNull();
      const { log, alarm } = await runInDurableObject(stubFor(id), async (object: DocumentObject, state: DurableObjectState) => ({
        log: object.log.stats().updates,
        alarm: await state.storage.getAlarm(),
      }));
      expect(log).toBe(5);
      expect(alarm).not.toBeNull();
      // The alarm handler does not fail on the index's account, so the work after it still runs.
      await runInDurableObject(stubFor(id), (object: DocumentObject) => object.alarm());

      await env.DB.prepare(`DELETE FROM outage`).run();
      await runInDurableObject(stubFor(id), (object: DocumentObject) => object.indexSync.runIfDue(Date.now() + INDEX_RETRY_DELAY_MS + 1));
      expect(await indexed(id)).toMatchObject({ id, updateCount: 5, lastEditor: "ada", connections: 1 });
      client.close();
    } finally {
      await env.DB.prepare(`DELETE FROM outage`).run();
    }
  });

  it("shows the snapshot count and the newest snapshot", async () => {
    const id = uniqueDocId("snapshots");
    const client = await edit(id, "ada", 2);
    const snapshot = await runInDurableObject(stubFor(id), async (object: DocumentObject) => {
      const { snapshot } = await object.compactor.compact("manual");
      await object.indexSync.syncNow();
      return snapshot;
    });
    expect(await indexed(id)).toMatchObject({ snapshotCount: 1, latestSnapshotSeq: snapshot.seq, latestSnapshotAt: snapshot.createdAt, updateCount: 0 });
    client.close();
  });
});
