// Storage faults under group commit: R2 and D1 fail and recover while several clients stream
// edits in bursts (so updates arrive during commits and are written in batches), and a SQLite
// write of a batch fails. No acknowledged edit may be lost, no client may be disconnected by an
// R2 or D1 outage, and everything catches up once the dependency is back.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it, vi } from "vitest";
import * as Y from "yjs";
import type { DocumentObject } from "../../src/document/DocumentObject";
import { getDocument } from "../../src/metadata/documentIndex";
import { INDEX_RETRY_DELAY_MS } from "../../src/metadata/indexSync";
import { CloseCode } from "../../src/protocol/closeCodes";
import { DEFAULT_CONFIG } from "../../src/snapshots/config";
import { RawClient, stubFor, uniqueDocId } from "../helpers/workerClient";
import { injectedFaults, injectOutages, Outage, slowCommits, until, Writer } from "./faultInjection";

const HOUR = 3_600_000;
const inObject = <T>(docId: string, fn: (object: DocumentObject, state: DurableObjectState) => T | Promise<T>) =>
  runInDurableObject(stubFor(docId), async (object: DocumentObject, state: DurableObjectState) => {
    object.rememberDocId(docId);
    return fn(object, state);
  });

/** The document as a fresh client reads it from the server. */
async function serverDoc(docId: string): Promise<Y.Doc> {
  const reader = await RawClient.connect(docId);
  try {
    return await reader.fetchDoc();
  } finally {
    reader.close();
  }
}

/** Every writer's text on the server is exactly what it typed (each writes its own root text). */
async function expectAllEdits(docId: string, writers: Writer[]): Promise<void> {
  const doc = await serverDoc(docId);
  for (const writer of writers) expect(doc.getText(writer.name).toString(), writer.name).toBe(writer.expectedText());
}

afterAll(() => {
  const total = Object.values(injectedFaults).reduce((sum, n) => sum + n, 0);
  console.log(`[faults] storage faults injected: ${total} (${Object.entries(injectedFaults).map(([kind, n]) => `${kind} ${n}`).join(", ")})`);
});

describe("storage faults under group commit", () => {
  it("R2 failing during compaction while clients stream batched edits: nobody is disconnected, and compaction catches up once R2 is back", async () => {
    const docId = uniqueDocId("r2-flaky");
    const r2 = new Outage("R2");
    const writers = [await Writer.connect(docId, "w1"), await Writer.connect(docId, "w2")];
    await inObject(docId, (object) => void (object.compactor.config = { ...DEFAULT_CONFIG, maxUpdates: 10, quietMs: HOUR, retryMs: 100 }));
    await injectOutages(docId, { r2 });
    await slowCommits(docId, 5);
    const before = await inObject(docId, (object) => ({ ...object.room.writeTotals }));

    r2.down = true;
    for (let round = 0; r2.injected < 3; round++) {
      expect(round, "compaction keeps trying while R2 is down").toBeLessThan(200);
      await Promise.all(writers.map((writer) => writer.burst(12)));
    }
    const during = await inObject(docId, (object) => ({ snapshots: object.compactor.index.list().length, log: object.log.stats().updates }));
    expect(during.snapshots).toBe(0);
    expect(during.log).toBeGreaterThan(10);

    r2.down = false;
    for (let round = 0; ; round++) {
      expect(round, "compaction catches up once R2 is back").toBeLessThan(200);
      await Promise.all(writers.map((writer) => writer.burst(12)));
      if ((await inObject(docId, (object) => object.compactor.index.list().length)) > 0) break;
    }
    const totals = await inObject(docId, (object) => ({ ...object.room.writeTotals }));
    expect(totals.updates - before.updates, "group commit wrote several updates per batch").toBeGreaterThan(totals.batches - before.batches);
    expect(writers.map((writer) => writer.closes)).toEqual([[], []]);

    await evictDurableObject(stubFor(docId), { webSockets: "hibernate" });
    await Promise.all(writers.map((writer) => writer.burst(3)));
    await expectAllEdits(docId, writers);
    expect(writers.every((writer) => writer.open)).toBe(true);
  });

  it("R2 failing when a hibernated document must load its snapshot from R2: clients get 4503, and resync without loss once R2 is back", async () => {
    const docId = uniqueDocId("r2-load");
    const writer = await Writer.connect(docId, "w1");
    await writer.burst(20);
    await inObject(docId, async (object, state) => {
      await object.compactor.compact("manual");
      state.storage.sql.exec("DELETE FROM snapshot_chunks"); // the local copy is gone: loading needs R2
    });
    await writer.burst(5); // a log tail after the snapshot
    await evictDurableObject(stubFor(docId), { webSockets: "hibernate" });

    const r2 = new Outage("R2");
    r2.down = true;
    await injectOutages(docId, { r2 });
    writer.typeMany(3); // the document must load to take these, and cannot
    expect((await writer.client.closed).code).toBe(CloseCode.tryAgainLater);
    const newcomer = await RawClient.connect(docId);
    expect((await newcomer.closed).code).toBe(CloseCode.tryAgainLater);
    expect(r2.injected).toBeGreaterThan(0);

    r2.down = false;
    await writer.reconnect(); // resends the three edits the server never took
    await expectAllEdits(docId, [writer]);
  });

  it("D1 failing while clients stream batched edits: editing carries on, and the index catches up once D1 is back", async () => {
    const docId = uniqueDocId("d1-flaky");
    const d1 = new Outage("D1");
    d1.down = true;
    await injectOutages(docId, { d1 });
    await slowCommits(docId, 5);
    const writers = [await Writer.connect(docId, "w1"), await Writer.connect(docId, "w2")];
    for (let round = 0; round < 10 || d1.injected === 0; round++) {
      expect(round, "the index is tried while D1 is down").toBeLessThan(200);
      await Promise.all(writers.map((writer) => writer.burst(10)));
    }
    expect(await getDocument(env.DB, docId)).toBeNull();
    const pending = await inObject(docId, (object) => JSON.parse(object.meta.get("index_sync") ?? "{}") as { dueAt: number | null });
    expect(pending.dueAt, "a retry is scheduled").toBeGreaterThan(Date.now());
    expect(writers.map((writer) => writer.closes)).toEqual([[], []]);

    d1.down = false;
    await inObject(docId, (object) => object.indexSync.runIfDue(Date.now() + INDEX_RETRY_DELAY_MS + 1));
    const live = await inObject(docId, (object) => object.adminInfo(docId));
    expect((await getDocument(env.DB, docId))?.record).toMatchObject({ id: docId, updateCount: live!.updateCount, sizeBytes: live!.sizeBytes, connections: 2 });
    await expectAllEdits(docId, writers);
  });

  it("a batch whose SQLite write fails closes its senders with 4500; nothing acknowledged is lost, and they resend the rest", async () => {
    const docId = uniqueDocId("sqlite-fails");
    const writers = [await Writer.connect(docId, "w1"), await Writer.connect(docId, "w2"), await Writer.connect(docId, "w3")];
    await Promise.all(writers.map((writer) => writer.burst(5)));
    await slowCommits(docId, 5);
    await inObject(docId, (object) => {
      const real = object.log.append.bind(object.log);
      let appends = 0;
      vi.spyOn(object.log, "append").mockImplementation((...args) => {
        if (++appends === 3) {
          injectedFaults.SQLite = (injectedFaults.SQLite ?? 0) + 1;
          throw new Error("SQLite write failed (injected fault)");
        }
        return real(...args);
      });
    });
    // Every writer streams; whoever is in the failing batch is closed, and the rest are not.
    await Promise.all(writers.map((writer) => writer.burst(10).catch(() => undefined)));
    await until("the failing batch's senders to be closed", () => writers.some((writer) => writer.closes.length > 0), 10_000);
    for (const writer of writers) if (!writer.open) await writer.client.closed;
    const closed = writers.filter((writer) => writer.closes.length > 0);
    expect(closed.length).toBeGreaterThan(0);
    for (const writer of closed) expect(writer.closes).toEqual([CloseCode.internalError]);
    const savedBefore = writers.map((writer) => writer.saved);

    // What was acknowledged is stored, before anyone resends anything.
    const stored = await serverDoc(docId);
    writers.forEach((writer, i) => expect(stored.getText(writer.name).toString().startsWith(writer.expectedText(savedBefore[i])), writer.name).toBe(true));

    for (const writer of closed) await writer.reconnect();
    await Promise.all(writers.map((writer) => writer.burst(5)));
    await expectAllEdits(docId, writers);
    await evictDurableObject(stubFor(docId), { webSockets: "hibernate" });
    await expectAllEdits(docId, writers);
  });
});
