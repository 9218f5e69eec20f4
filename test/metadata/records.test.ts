import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { EMPTY_DOC_BYTES } from "../../src/admin/documentAdmin";
import { mergeMetadata, toView } from "../../src/metadata/documentRecord";
import { decodeCursor, encodeCursor } from "../../src/metadata/listing";

describe("operator metadata", () => {
  it("merges like RFC 7396: null removes, objects merge, everything else replaces", () => {
    const target = { title: "a", tags: ["x"], owner: { name: "ada", team: "a" }, n: 1 };
    expect(mergeMetadata(target, { title: "b", tags: null, owner: { team: null, role: "lead" }, n: { deep: true }, extra: [1] })).toEqual({
      title: "b",
      owner: { name: "ada", role: "lead" },
      n: { deep: true },
      extra: [1],
    });
    expect(target.tags).toEqual(["x"]); // the input is not modified
  });
});

describe("list cursors", () => {
  it("round-trip, and anything else is refused", () => {
    const cursor = { order: "updated" as const, value: 1_700_000_000_000, id: "team:doc-1" };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor(encodeCursor({ order: "id", value: "a", id: "a" }))).toEqual({ order: "id", value: "a", id: "a" });
    for (const bad of ["", "!!!", btoa("[1,2,3]"), btoa(JSON.stringify(["updated", "x", "a"])), btoa(JSON.stringify(["id", "a", "b"]))]) {
      expect(decodeCursor(bad)).toBeNull();
    }
  });
});

describe("document records", () => {
  it("show times as ISO strings", () => {
    const view = toView(
      { id: "a", createdAt: 0, updatedAt: 1000, sizeBytes: 2, storedBytes: 0, updateCount: 0, snapshotCount: 1, latestSnapshotSeq: 3, latestSnapshotAt: 2000, connections: 0, lastEditor: null, metadata: {} },
      null,
    );
    expect(view).toMatchObject({ createdAt: "1970-01-01T00:00:00.000Z", updatedAt: "1970-01-01T00:00:01.000Z", latestSnapshotAt: "1970-01-01T00:00:02.000Z", indexedAt: null });
  });

  it("count an empty document's encoded size right", () => {
    expect(EMPTY_DOC_BYTES).toBe(Y.encodeStateAsUpdate(new Y.Doc()).byteLength);
  });
});
