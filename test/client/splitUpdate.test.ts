// Splitting oversized updates: every part fits, and the parts rebuild the same document.
import { describe, expect, test } from "vitest";
import * as Y from "yjs";
import { splitUpdate } from "../../client/src/splitUpdate";

function updateOf(edit: (doc: Y.Doc) => void, base?: Y.Doc): { update: Uint8Array; doc: Y.Doc } {
  const doc = base ?? new Y.Doc();
  const before = Y.encodeStateVector(doc);
  edit(doc);
  return { update: Y.encodeStateAsUpdate(doc, before), doc };
}

function applyAll(parts: Uint8Array[], doc = new Y.Doc()): Y.Doc {
  for (const part of parts) Y.applyUpdate(doc, part);
  return doc;
}

/** Byte-equal full states; compared as Buffers because deep equality over large arrays is slow. */
const sameContent = (a: Y.Doc, b: Y.Doc) => expect(Buffer.from(Y.encodeStateAsUpdate(a)).equals(Buffer.from(Y.encodeStateAsUpdate(b)))).toBe(true);

describe("splitUpdate", () => {
  test("an update within the limit is returned unchanged", () => {
    const { update } = updateOf((doc) => doc.getText("t").insert(0, "small"));
    expect(splitUpdate(update, 1024)).toEqual([update]);
  });

  test("one long string is cut into parts that each fit and rebuild the same text", () => {
    const text = "lorem ipsum dolor sit amet ".repeat(20_000); // 540 KB in one item
    const { update, doc } = updateOf((d) => d.getText("t").insert(0, text));
    const parts = splitUpdate(update, 64 * 1024);
    expect(parts.length).toBeGreaterThanOrEqual(9);
    for (const part of parts) expect(part.byteLength).toBeLessThanOrEqual(64 * 1024);
    const rebuilt = applyAll(parts);
    expect(rebuilt.getText("t").toString()).toBe(text);
    sameContent(rebuilt, doc);
  });

  test("multi-byte characters and surrogate pairs are never cut in half", () => {
    const text = "añ€😀".repeat(30_000);
    const { update, doc } = updateOf((d) => d.getText("t").insert(0, text));
    const parts = splitUpdate(update, 10_000);
    for (const part of parts) expect(part.byteLength).toBeLessThanOrEqual(10_000);
    const rebuilt = applyAll(parts);
    expect(rebuilt.getText("t").toString()).toBe(text);
    expect(rebuilt.getText("t").toString()).not.toContain("\ufffd");
    sameContent(rebuilt, doc);
  });

  test("arrays, maps, rich text and deletions survive splitting, applied on top of earlier state", () => {
    const base = new Y.Doc();
    base.getText("t").insert(0, "keep this and remove that");
    const replica = new Y.Doc();
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(base));
    const { update, doc } = updateOf((d) => {
      d.getArray("list").insert(0, Array.from({ length: 5000 }, (_, i) => ({ i, label: `item ${i}` })));
      d.getMap("meta").set("title", "a title");
      const fragment = d.getXmlFragment("prosemirror");
      const paragraph = new Y.XmlElement("paragraph");
      paragraph.insert(0, [new Y.XmlText("x".repeat(50_000))]);
      fragment.insert(0, [paragraph]);
      d.getText("t").delete(9, 16);
      for (let i = 0; i < 2000; i++) d.getArray("list").delete(i, 1);
    }, base);
    const parts = splitUpdate(update, 16 * 1024);
    expect(parts.length).toBeGreaterThan(3);
    for (const part of parts) expect(part.byteLength).toBeLessThanOrEqual(16 * 1024);
    applyAll(parts, replica);
    expect(replica.getText("t").toString()).toBe("keep this");
    expect(replica.getArray("list").toJSON()).toEqual(doc.getArray("list").toJSON());
    expect(replica.getXmlFragment("prosemirror").toString()).toBe(doc.getXmlFragment("prosemirror").toString());
    expect(replica.getMap("meta").get("title")).toBe("a title");
    sameContent(replica, doc);
  });

  test("updates from several clients, merged, split into parts that leave nothing pending", () => {
    const docs = [new Y.Doc(), new Y.Doc(), new Y.Doc()];
    const updates = docs.map((d, i) => updateOf((doc) => doc.getText("t").insert(0, `${i}`.repeat(40_000)), d).update);
    const merged = Y.mergeUpdates(updates);
    const parts = splitUpdate(merged, 8 * 1024);
    for (const part of parts) expect(part.byteLength).toBeLessThanOrEqual(8 * 1024);
    const rebuilt = applyAll(parts);
    const reference = applyAll([merged]);
    expect(rebuilt.store.pendingStructs).toBeNull();
    expect(rebuilt.getText("t").toString()).toBe(reference.getText("t").toString());
    expect(rebuilt.getText("t").length).toBe(120_000);
  });
});
