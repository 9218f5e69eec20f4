import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DocumentObject } from "../../src/document/DocumentObject";
import { CHUNK_BYTES, UpdateLog } from "../../src/storage/updateLog";
import { stubFor, uniqueDocId } from "../helpers/workerClient";

const withLog = <T>(fn: (log: UpdateLog, state: DurableObjectState) => T) =>
  runInDurableObject(stubFor(uniqueDocId("log")), (_: DocumentObject, state: DurableObjectState) => fn(new UpdateLog(state.storage.sql, state.storage), state));

describe("the update log", () => {
  it("reads back updates in order, reassembling chunked ones", () =>
    withLog((log) => {
      const big = new Uint8Array(CHUNK_BYTES * 2 + 10);
      for (let i = 0; i < big.length; i++) big[i] = i % 251;
      log.append(new Uint8Array([1]), "a");
      log.append(big, "b");
      log.append(new Uint8Array([3]), null);
      const read = [...log.read()];
      expect(read.map((r) => r.seq)).toEqual([1, 2, 3]);
      expect(read[1].update.length).toBe(big.length);
      expect(read[1].update.findIndex((byte, i) => byte !== big[i])).toBe(-1);
      expect([...log.read(2)].map((r) => r.seq)).toEqual([3]);
      expect(log.stats()).toEqual({ updates: 3, bytes: big.length + 2, lastSeq: 3 });
    }));

  it("never reuses a sequence number after its rows are deleted, even across a restart", () =>
    withLog((log, state) => {
      log.append(new Uint8Array([1]), "a");
      log.append(new Uint8Array([2]), "a");
      expect(log.deleteThrough(2)).toBe(false);
      expect(log.stats().updates).toBe(0);
      const reopened = new UpdateLog(state.storage.sql, state.storage);
      expect(reopened.append(new Uint8Array([3]), "a")).toBe(3);
    }));
});
