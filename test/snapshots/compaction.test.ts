import { env } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import * as Y from "yjs";
import { snapshotKey, snapshotPrefix } from "../../src/snapshots/archive";
import { CloseCode } from "../../src/protocol/closeCodes";
import { RawClient, stubFor, uniqueDocId } from "../helpers/workerClient";
import { change, configure, eventually, inObject, r2Keys, runAlarm, serverDoc, sha256Hex, store, typing } from "./helpers";

const HOUR = 3_600_000;

describe("compaction", () => {
  it("an alarm folds the log into a checksummed R2 snapshot once the update threshold is passed, then deletes the covered rows", async () => {
    const docId = uniqueDocId("threshold");
    await configure(docId, { maxUpdates: 5, quietMs: HOUR });
    const client = new Y.Doc();
    await store(docId, typing(client, 4));
    await runAlarm(docId);
    expect(await inObject(docId, (object) => object.compactor.index.list())).toEqual([]); // below the threshold

    await store(docId, typing(client, 1, 9));
    await runAlarm(docId);
    const { snapshots, log } = await eventually(async () => {
      const state = await inObject(docId, (object) => ({ snapshots: object.compactor.index.list(), log: object.log.stats() }));
      expect(state.snapshots).toHaveLength(1);
      return state;
    });
    expect(snapshots[0]).toMatchObject({ seq: 5, reason: "threshold", key: snapshotKey(docId, 5), encoding: "v2" });
    expect(log.updates).toBe(0);
    const object = await env.SNAPSHOTS.get(snapshotKey(docId, 5));
    const bytes = new Uint8Array(await object!.arrayBuffer());
    expect(await sha256Hex(bytes)).toBe(snapshots[0].sha256);
    expect(snapshots[0].size).toBe(bytes.byteLength);
    const fromSnapshot = new Y.Doc();
    Y.applyUpdateV2(fromSnapshot, bytes);
    expect(fromSnapshot.getText("text").toString()).toBe(client.getText("text").toString());
  });

  it("past a threshold it compacts from the write path, without waiting for an alarm (none runs while messages keep coming)", async () => {
    const docId = uniqueDocId("inline");
    await configure(docId, { maxUpdates: 5, quietMs: HOUR });
    // No alarm at all: whatever compacts here is the write path.
    await inObject(docId, (object) => void vi.spyOn(object.alarms, "requestBy").mockResolvedValue(undefined));
    const client = new Y.Doc();
    await store(docId, typing(client, 12));
    const snapshots = await eventually(async () => {
      const list = await inObject(docId, (object) => object.compactor.index.list());
      expect(list.length).toBeGreaterThanOrEqual(2);
      return list;
    });
    expect(snapshots.every((s) => s.reason === "threshold")).toBe(true);
    await evictDurableObject(stubFor(docId));
    expect((await serverDoc(docId)).getText("text").toString()).toBe(client.getText("text").toString());
  });

  it("a larger document is compacted less often: the thresholds grow with its snapshot", async () => {
    const docId = uniqueDocId("scaled");
    await configure(docId, { maxUpdates: 1000, maxBytes: 1000, quietMs: HOUR });
    const client = new Y.Doc();
    await store(docId, [change(client, (doc) => doc.getText("text").insert(0, "y".repeat(4000)))]); // a 4 KB snapshot: 4 times the bytes threshold
    await eventually(async () => expect(await inObject(docId, (object) => object.compactor.index.list().length)).toBe(1));
    await store(docId, [change(client, (doc) => doc.getText("text").insert(0, "z".repeat(1500)))]); // over 1,000 bytes, under 4 times that
    await runAlarm(docId);
    expect(await inObject(docId, (object) => object.compactor.index.list().length)).toBe(1);
    await store(docId, [change(client, (doc) => doc.getText("text").insert(0, "w".repeat(3000)))]); // now over 4,000
    await eventually(async () => expect(await inObject(docId, (object) => object.compactor.index.list().length)).toBe(2));
  });

  it("below the thresholds the alarm waits for the quiet period after the last edit", async () => {
    const docId = uniqueDocId("quiet");
    await configure(docId, { maxUpdates: 1000, quietMs: HOUR });
    const requests = await inObject(docId, (object) => vi.spyOn(object.alarms, "requestBy").mock.calls);
    await store(docId, typing(new Y.Doc(), 3));
    await runAlarm(docId);
    const early = await inObject(docId, (object) => ({ snapshots: object.compactor.index.list().length, lastWrite: object.log.lastWriteAt()!, requests }));
    expect(early.snapshots).toBe(0);
    // The compactor asked for the end of the quiet period, counted from the last edit.
    expect(early.requests.map(([at]) => at)).toContain(early.lastWrite + HOUR);

    await inObject(docId, (object) => void (object.compactor.config.quietMs = 0));
    await runAlarm(docId);
    const snapshots = await eventually(async () => {
      const list = await inObject(docId, (object) => object.compactor.index.list());
      expect(list).toHaveLength(1);
      return list;
    });
    expect(snapshots.map((s) => [s.seq, s.reason])).toEqual([[3, "quiet"]]);
  });

  it("an R2 write failure leaves the log intact and the document usable, and the alarm retries later", async () => {
    const docId = uniqueDocId("r2-down");
    await configure(docId, { maxUpdates: 1000, retryMs: 1500 });
    const client = new Y.Doc();
    await store(docId, typing(client, 3));
    const failedAt = Date.now();
    const requests = await inObject(docId, (object) => {
      object.compactor.config.maxUpdates = 2;
      vi.spyOn(object.compactor.archive, "put").mockRejectedValueOnce(new Error("R2 is unreachable"));
      return vi.spyOn(object.alarms, "requestBy").mock.calls;
    });
    await runAlarm(docId);

    const after = await eventually(async () => {
      const state = await inObject(docId, (object) => ({ snapshots: object.compactor.index.list().length, log: object.log.stats().updates, requests }));
      expect(state.requests.some(([at]) => at >= failedAt + 1500)).toBe(true); // the retry was asked for
      return state;
    });
    expect(after).toMatchObject({ snapshots: 0, log: 3 });
    expect(await r2Keys(snapshotPrefix(docId))).toEqual([]);
    // Still fully usable: new edits are stored and the content is all there.
    await store(docId, typing(client, 1, 5));
    expect((await serverDoc(docId)).getText("text").toString()).toBe(client.getText("text").toString());

    // The retry is due at the time the failed run asked for (measured by the object, so on a loaded
    // machine it can be later than failedAt + 1500): wait for the clock to pass it, then run the alarm.
    const retryAt = Math.max(...requests.map(([at]) => at));
    while (Date.now() <= retryAt) await new Promise((resolve) => setTimeout(resolve, 25));
    await runAlarm(docId);
    await eventually(async () => {
      const state = await inObject(docId, (object) => ({ snapshots: object.compactor.index.list(), log: object.log.stats().updates }));
      expect(state.snapshots.map((s) => s.seq)).toEqual([4]);
      expect(state.log).toBe(0);
    });
  });

  it("a crash while deleting the covered rows rolls the record back, and the retried alarm completes without loss", async () => {
    const docId = uniqueDocId("delete-fails");
    await configure(docId, { maxUpdates: 1000, retryMs: HOUR }); // no retry by itself before the checks below
    const client = new Y.Doc();
    await store(docId, typing(client, 4));
    await inObject(docId, (object) => {
      object.compactor.config.maxUpdates = 2;
      vi.spyOn(object.log, "deleteThrough").mockImplementationOnce(() => {
        throw new Error("simulated crash");
      });
    });
    await runAlarm(docId);

    // R2 has the object, but the table does not list it and no log row is gone.
    await eventually(async () => expect(await r2Keys(snapshotPrefix(docId))).toEqual([snapshotKey(docId, 4)]));
    const partial = await inObject(docId, (object, state) => ({
      snapshots: object.compactor.index.list().length,
      log: object.log.stats().updates,
      chunks: state.storage.sql.exec("SELECT COUNT(*) AS n FROM snapshot_chunks").one().n,
    }));
    expect(partial).toEqual({ snapshots: 0, log: 4, chunks: 0 });

    await inObject(docId, (object) => object.compactor.compact("threshold")); // what the retry does
    await eventually(async () => {
      const done = await inObject(docId, (object) => ({ snapshots: object.compactor.index.list(), log: object.log.stats().updates }));
      expect(done.snapshots.map((s) => s.seq)).toEqual([4]);
      expect(done.log).toBe(0);
    });
    expect(await r2Keys(snapshotPrefix(docId))).toEqual([snapshotKey(docId, 4)]);
    await evictDurableObject(stubFor(docId));
    expect((await serverDoc(docId)).getText("text").toString()).toBe(client.getText("text").toString());
  });

  it("updates stored while the snapshot uploads stay in the log and survive a cold load", async () => {
    const docId = uniqueDocId("concurrent");
    const client = new Y.Doc();
    await store(docId, typing(client, 5));
    const late = change(client, (doc) => doc.getText("text").insert(0, "LATE "));
    const result = await inObject(docId, async (object) => {
      const put = object.compactor.archive.put.bind(object.compactor.archive);
      vi.spyOn(object.compactor.archive, "put").mockImplementationOnce(async (...args) => {
        await object.room.applyServerUpdate(late, "tester");
        return put(...args);
      });
      const { snapshot } = await object.compactor.compact("manual");
      return { seq: snapshot.seq, tail: [...object.log.read()].map((entry) => entry.seq) };
    });
    expect(result).toEqual({ seq: 5, tail: [6] });
    await evictDurableObject(stubFor(docId));
    expect((await serverDoc(docId)).getText("text").toString()).toBe(client.getText("text").toString());
  });

  it("a long log is trimmed in batches that let edits in between", async () => {
    const docId = uniqueDocId("trim");
    const client = new Y.Doc();
    await store(docId, typing(client, 10));
    const late = change(client, (doc) => doc.getText("text").insert(0, "between batches "));
    const result = await inObject(docId, async (object) => {
      object.compactor.trimBatch = 3;
      const deletes = vi.spyOn(object.log, "deleteThrough");
      vi.spyOn(scheduler, "wait").mockImplementationOnce(async () => void (await object.room.applyServerUpdate(late, "tester")));
      const { snapshot, timings } = await object.compactor.compact("manual");
      vi.restoreAllMocks();
      return { seq: snapshot.seq, trimMs: timings.trimMs, batches: deletes.mock.calls.length, tail: [...object.log.read()].map((e) => e.seq) };
    });
    expect(result).toMatchObject({ seq: 10, batches: 4, tail: [11] });
    await evictDurableObject(stubFor(docId));
    expect((await serverDoc(docId)).getText("text").toString()).toBe(client.getText("text").toString());
  });

  it("rows a failed trim leaves are skipped by loads and counts, and the next run deletes them", async () => {
    const docId = uniqueDocId("trim-fails");
    const client = new Y.Doc();
    await store(docId, typing(client, 10));
    const first = await inObject(docId, async (object) => {
      object.compactor.trimBatch = 3;
      const real = object.log.deleteThrough.bind(object.log);
      vi.spyOn(object.log, "deleteThrough").mockImplementationOnce(real).mockImplementationOnce(() => {
        throw new Error("simulated crash");
      });
      const result = await object.compactor.compact("manual");
      return { created: result.created, rows: object.log.stats().updates, tail: object.log.stats(10).updates };
    });
    expect(first).toEqual({ created: true, rows: 7, tail: 0 });
    await evictDurableObject(stubFor(docId));
    expect((await serverDoc(docId)).getText("text").toString()).toBe(client.getText("text").toString());
    const second = await inObject(docId, async (object) => ({ created: (await object.compactor.compact("manual")).created, rows: object.log.stats().updates }));
    expect(second).toEqual({ created: false, rows: 0 });
  });

  it("a cold load from the newest snapshot plus the log tail equals a full replay", async () => {
    const docId = uniqueDocId("replay");
    const client = new Y.Doc();
    const updates: Uint8Array[] = [];
    const round = (n: number) => {
      for (let i = 0; i < n; i++) {
        updates.push(change(client, (doc) => {
          const text = doc.getText("text");
          text.insert((i * 31) % (text.length + 1), `w${i} `, i % 3 === 0 ? { bold: true } : {});
          if (i % 4 === 3) text.delete((i * 17) % text.length, 2);
          doc.getMap("meta").set(`k${i % 5}`, { n: i });
          if (i % 2) doc.getArray<number>("list").push([i]);
          else if (doc.getArray("list").length > 0) doc.getArray("list").delete(0, 1);
        }));
      }
    };
    round(30);
    await store(docId, updates.slice(0, 30));
    await inObject(docId, (object) => object.compactor.compact("manual"));
    round(30);
    await store(docId, updates.slice(30, 60));
    await inObject(docId, (object) => object.compactor.compact("manual"));
    round(20);
    await store(docId, updates.slice(60));
    await evictDurableObject(stubFor(docId));

    const loaded = await serverDoc(docId);
    const replayed = new Y.Doc();
    for (const update of updates) Y.applyUpdate(replayed, update);
    expect(Y.encodeStateVector(loaded)).toEqual(Y.encodeStateVector(replayed));
    expect(loaded.getText("text").toDelta()).toEqual(replayed.getText("text").toDelta());
    expect(loaded.getMap("meta").toJSON()).toEqual(replayed.getMap("meta").toJSON());
    expect(loaded.getArray("list").toJSON()).toEqual(replayed.getArray("list").toJSON());
    const tail = await inObject(docId, (object) => [...object.log.read()].map((entry) => entry.seq));
    expect(tail).toEqual(Array.from({ length: 20 }, (_, i) => 61 + i));
  });

  it("a snapshot larger than 1 MiB goes to R2 whole, is kept locally in chunks, and loads back", async () => {
    const docId = uniqueDocId("big");
    const client = new Y.Doc();
    const big = Array.from({ length: 1_600_000 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90))).join("");
    await store(docId, [change(client, (doc) => doc.getText("text").insert(0, big))]);
    const { snapshot, chunks } = await inObject(docId, async (object, state) => ({
      snapshot: (await object.compactor.compact("manual")).snapshot,
      chunks: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM snapshot_chunks").one().n,
    }));
    expect(snapshot.size).toBeGreaterThan(1024 * 1024);
    expect(chunks).toBe(2);
    expect((await env.SNAPSHOTS.head(snapshot.key))?.size).toBe(snapshot.size);
    await evictDurableObject(stubFor(docId));
    expect((await serverDoc(docId)).getText("text").toString()).toBe(big);
  });

  it("a cold load falls back to R2 when the local copy is gone", async () => {
    const docId = uniqueDocId("r2-load");
    const client = new Y.Doc();
    await store(docId, typing(client, 10));
    await inObject(docId, async (object, state) => {
      await object.compactor.compact("manual");
      state.storage.sql.exec("DELETE FROM snapshot_chunks");
    });
    await store(docId, typing(client, 2, 3));
    await evictDurableObject(stubFor(docId));
    expect((await serverDoc(docId)).getText("text").toString()).toBe(client.getText("text").toString());
  });

  it("a V1 snapshot written before snapshots were V2 still loads, from the local copy and from R2", async () => {
    const docId = uniqueDocId("v1-snapshot");
    const client = new Y.Doc();
    await store(docId, typing(client, 6));
    // Rewrite the snapshot as an older version of Quire stored it: V1 bytes, recorded as V1.
    await inObject(docId, async (object) => {
      const { snapshot } = await object.compactor.compact("manual");
      const v1 = Y.convertUpdateFormatV2ToV1(object.compactor.index.localCopy(snapshot.seq)!);
      const record = { ...snapshot, size: v1.byteLength, sha256: await sha256Hex(v1), encoding: "v1" as const };
      await env.SNAPSHOTS.put(record.key, v1, { sha256: record.sha256 });
      object.compactor.index.record(record, v1);
    });
    await store(docId, typing(client, 2, 5));
    const expected = client.getText("text").toString();
    await evictDurableObject(stubFor(docId));
    expect((await serverDoc(docId)).getText("text").toString()).toBe(expected);
    await inObject(docId, (_, state) => void state.storage.sql.exec("DELETE FROM snapshot_chunks"));
    await evictDurableObject(stubFor(docId));
    expect((await serverDoc(docId)).getText("text").toString()).toBe(expected);
  });

  it("when the snapshot cannot be read, connections close with 4503 (retry) and the document loads once it can", async () => {
    const docId = uniqueDocId("r2-unreadable");
    const client = new Y.Doc();
    await store(docId, typing(client, 5));
    const key = await inObject(docId, async (object, state) => {
      const { snapshot } = await object.compactor.compact("manual");
      state.storage.sql.exec("DELETE FROM snapshot_chunks");
      return snapshot.key;
    });
    const saved = new Uint8Array(await (await env.SNAPSHOTS.get(key))!.arrayBuffer());
    await env.SNAPSHOTS.delete(key);
    await evictDurableObject(stubFor(docId));
    const refused = await RawClient.connect(docId);
    const closed = await refused.closed;
    expect(closed.code).toBe(CloseCode.tryAgainLater);
    await env.SNAPSHOTS.put(key, saved);
    const later = await RawClient.connect(docId);
    expect((await later.fetchDoc()).getText("text").toString()).toBe(client.getText("text").toString());
  });

  it("sequence numbers keep growing after compaction empties the log", async () => {
    const docId = uniqueDocId("seq");
    const client = new Y.Doc();
    await store(docId, typing(client, 3));
    await inObject(docId, (object) => object.compactor.compact("manual"));
    await evictDurableObject(stubFor(docId));
    await store(docId, typing(client, 1, 4));
    expect(await inObject(docId, (object) => [...object.log.read()].map((e) => e.seq))).toEqual([4]);
  });

  it("compacting again with nothing new repeats nothing", async () => {
    const docId = uniqueDocId("idempotent");
    await configure(docId, { maxUpdates: 1 });
    await store(docId, typing(new Y.Doc(), 2));
    await runAlarm(docId);
    await eventually(async () => expect(await inObject(docId, (object) => object.compactor.index.newest()?.seq)).toBe(2));
    const before = { keys: await r2Keys(snapshotPrefix(docId)), rows: await inObject(docId, (object) => object.compactor.index.list().length) };
    expect(before.keys).toContain(snapshotKey(docId, 2));
    const again = await inObject(docId, (object) => object.compactor.compact("manual"));
    expect(again.created).toBe(false);
    expect(again.snapshot.seq).toBe(2);
    await runAlarm(docId);
    expect(await r2Keys(snapshotPrefix(docId))).toEqual(before.keys);
    expect(await inObject(docId, (object) => object.compactor.index.list().length)).toBe(before.rows);
  });
});
