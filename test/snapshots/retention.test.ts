import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import * as Y from "yjs";
import { snapshotKey, snapshotPrefix } from "../../src/snapshots/archive";
import { expiredSnapshots, nextExpiry } from "../../src/snapshots/retention";
import type { SnapshotRecord } from "../../src/snapshots/snapshotIndex";
import { uniqueDocId } from "../helpers/workerClient";
import { configure, inObject, r2Keys, store, typing } from "./helpers";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 20, 12);

const record = (seq: number, createdAt: number): SnapshotRecord => ({ seq, createdAt, size: 1, sha256: "", key: `k${seq}`, reason: "quiet", encoding: "v2", v1Size: 1 });

describe("retention", () => {
  it("keeps the newest N snapshots", () => {
    const all = [1, 2, 3, 4, 5].map((seq) => record(seq, NOW - 40 * DAY + seq));
    expect(expiredSnapshots(all, NOW, 2, 30).map((s) => s.seq)).toEqual([3, 2, 1]);
  });

  it("keeps the newest snapshot of each of the last D days", () => {
    const all = [
      record(1, NOW - 3 * DAY), // outside a 3-day window
      record(2, NOW - 2 * DAY - 60_000),
      record(3, NOW - 2 * DAY), // newest of its day
      record(4, NOW - DAY),
      record(5, NOW - 60_000),
      record(6, NOW), // newest overall
    ];
    expect(expiredSnapshots(all, NOW, 1, 3).map((s) => s.seq)).toEqual([5, 2, 1]);
  });

  it("knows the next midnight a snapshot expires, so an idle document wakes only then", () => {
    const all = [record(1, NOW - DAY), record(2, NOW)]; // kept: the newest, and yesterday's for its day
    expect(nextExpiry(all, NOW, 1, 3)).toBe((Math.floor(NOW / DAY) + 2) * DAY); // yesterday leaves a 3-day window in 2 days
    expect(nextExpiry([record(1, NOW - 40 * DAY), record(2, NOW)], NOW, 1, 3)).toBe(NOW); // already expired
    expect(nextExpiry([record(1, NOW - DAY), record(2, NOW)], NOW, 2, 3)).toBeNull(); // kept by count forever
  });

  it("always keeps the newest snapshot, whatever the settings", () => {
    expect(expiredSnapshots([record(1, 0), record(2, 1)], NOW, 0, 0).map((s) => s.seq)).toEqual([1]);
  });

  it("compaction deletes expired snapshots from R2 and the table, and nothing else", async () => {
    const docId = uniqueDocId("retain");
    await configure(docId, { keepLatest: 1, keepDays: 2, maxUpdates: 1000 });
    const client = new Y.Doc();
    // Real time: retention also runs from the alarm (on the real clock) when a snapshot expires.
    const now = Date.now();
    // Two snapshots on each of three days, the last of them today.
    for (const [i, at] of [now - 2 * DAY, now - 2 * DAY + 1, now - DAY, now - DAY + 1, now, now + 1].entries()) {
      await store(docId, typing(client, 1, i));
      await inObject(docId, (object) => object.compactor.compact("manual", at));
    }
    const kept = await inObject(docId, (object) => object.compactor.index.list().map((s) => s.seq));
    expect(kept).toEqual([6, 4]); // the newest, and the newest of yesterday; the day before is outside 2 days
    expect(await r2Keys(snapshotPrefix(docId))).toEqual([snapshotKey(docId, 4), snapshotKey(docId, 6)]);
  });

  it("sweeps objects of failed runs older than the newest snapshot, but not newer ones", async () => {
    const docId = uniqueDocId("orphans");
    const client = new Y.Doc();
    await store(docId, typing(client, 3));
    await env.SNAPSHOTS.put(snapshotKey(docId, 1), new Uint8Array([0])); // a run that crashed before recording
    await env.SNAPSHOTS.put(snapshotKey(docId, 99), new Uint8Array([0])); // newer than anything recorded
    await inObject(docId, (object) => object.compactor.compact("manual"));
    expect(await r2Keys(snapshotPrefix(docId))).toEqual([snapshotKey(docId, 3), snapshotKey(docId, 99)]);
  });

  it("a failed R2 delete does not fail the compaction, and a later run removes what it left", async () => {
    const docId = uniqueDocId("delete-later");
    await configure(docId, { keepLatest: 1, keepDays: 0, maxUpdates: 1000 });
    const client = new Y.Doc();
    await store(docId, typing(client, 1));
    await inObject(docId, (object) => object.compactor.compact("manual"));
    await store(docId, typing(client, 1, 2));
    const second = await inObject(docId, (object) => {
      vi.spyOn(object.compactor.archive, "delete").mockRejectedValueOnce(new Error("R2 is unreachable"));
      return object.compactor.compact("manual");
    });
    expect(second.created).toBe(true);
    expect(await inObject(docId, (object) => object.compactor.index.list().map((s) => s.seq))).toEqual([2]);
    expect(await r2Keys(snapshotPrefix(docId))).toEqual([snapshotKey(docId, 1), snapshotKey(docId, 2)]);
    await store(docId, typing(client, 1, 3));
    await inObject(docId, (object) => object.compactor.compact("manual"));
    expect(await r2Keys(snapshotPrefix(docId))).toEqual([snapshotKey(docId, 3)]);
  });
});
