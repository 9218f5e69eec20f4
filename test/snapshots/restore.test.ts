import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { contentKey } from "../../src/snapshots/contentKey";
import { buildRestoreUpdate, RestoreConflict } from "../../src/snapshots/restore";

/** A server-side copy: built from an update, so its root types are untyped, as on the server. */
function untyped(doc: Y.Doc): Y.Doc {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return copy;
}

/** Every root's content key, reading each root as the type the test gave it. */
function content(doc: Y.Doc, roots: Record<string, "text" | "map" | "array" | "xml">): Record<string, string> {
  const copy = untyped(doc);
  const read = { text: (n: string) => copy.getText(n), map: (n: string) => copy.getMap(n), array: (n: string) => copy.getArray(n), xml: (n: string) => copy.getXmlFragment(n) };
  return Object.fromEntries(Object.entries(roots).map(([name, kind]) => [name, contentKey(read[kind](name))]));
}

const ROOTS = { text: "text", map: "map", list: "array", prose: "xml" } as const;

/** A document using all four root types, with formatting, nesting, attributes and embedded XML text. */
function richDoc(): Y.Doc {
  const doc = new Y.Doc();
  doc.transact(() => {
    const text = doc.getText("text");
    text.insert(0, "Hello brave new world");
    text.format(0, 5, { bold: true });
    text.insertEmbed(5, { image: "a.png" });
    const map = doc.getMap("map");
    map.set("title", "draft");
    map.set("count", 3);
    const nested = new Y.Map<unknown>();
    nested.set("inner", [1, 2, { x: true }]);
    map.set("nested", nested);
    const list = doc.getArray<unknown>("list");
    const sub = new Y.Array<number>();
    sub.push([1, 2, 3]);
    list.push(["a", 1, { b: null }, sub, new Uint8Array([1, 2])]);
    const prose = doc.getXmlFragment("prose");
    const p1 = new Y.XmlElement("paragraph");
    p1.setAttribute("align", "left");
    const t1 = new Y.XmlText();
    p1.insert(0, [t1]);
    const p2 = new Y.XmlElement("heading");
    p2.insert(0, [new Y.XmlText()]);
    prose.insert(0, [p1, p2]);
    t1.insert(0, "first paragraph", { italic: true });
    (p2.get(0) as Y.XmlText).insert(0, "A heading");
  });
  return doc;
}

/** Edits every root in many ways, as clients would after the snapshot. */
function scramble(doc: Y.Doc): void {
  doc.transact(() => {
    const text = doc.getText("text");
    text.delete(2, 6);
    text.insert(0, "XX", { underline: true });
    text.format(3, 4, { bold: null, color: "red" });
    text.insert(text.length, " and more 😀");
    const map = doc.getMap<unknown>("map");
    map.set("title", "final");
    map.delete("count");
    map.set("added", { deep: [1] });
    (map.get("nested") as Y.Map<unknown>).set("inner", "changed");
    const list = doc.getArray<unknown>("list");
    list.delete(1, 2);
    list.insert(0, ["front"]);
    (list.get(2) as Y.Array<number>).push([4]);
    const prose = doc.getXmlFragment("prose");
    const p1 = prose.get(0) as Y.XmlElement;
    p1.setAttribute("align", "right");
    (p1.get(0) as Y.XmlText).insert(0, "edited ");
    prose.insert(2, [new Y.XmlElement("hr")]);
    prose.delete(1, 1);
  });
}

function applied(doc: Y.Doc, update: Uint8Array | null): Y.Doc {
  const copy = untyped(doc);
  if (update) Y.applyUpdate(copy, update);
  return copy;
}

describe("the restore update", () => {
  it("makes Y.Text, Y.Map, Y.Array and Y.XmlFragment content equal to the snapshot's", () => {
    const doc = richDoc();
    const snapshot = untyped(doc);
    scramble(doc);
    expect(content(doc, ROOTS)).not.toEqual(content(snapshot, ROOTS));

    const update = buildRestoreUpdate(untyped(doc), untyped(snapshot));
    expect(update).not.toBeNull();
    const restored = applied(doc, update);
    expect(content(restored, ROOTS)).toEqual(content(snapshot, ROOTS));
    expect(restored.getText("text").toDelta()).toEqual(snapshot.getText("text").toDelta());
    expect(restored.getXmlFragment("prose").toString()).toBe(snapshot.getXmlFragment("prose").toString());
  });

  it("is null when the content already equals the snapshot's", () => {
    const doc = richDoc();
    expect(buildRestoreUpdate(untyped(doc), untyped(doc))).toBeNull();
  });

  it("empties roots the snapshot did not have yet and fills roots the document has lost", () => {
    const before = new Y.Doc();
    before.getText("old").insert(0, "kept in the snapshot");
    const doc = untyped(before);
    doc.transact(() => {
      doc.getText("old").delete(0, doc.getText("old").length);
      doc.getMap("later").set("k", "v");
    });
    const restored = applied(doc, buildRestoreUpdate(untyped(doc), untyped(before)));
    expect(restored.getText("old").toString()).toBe("kept in the snapshot");
    expect(restored.getMap("later").size).toBe(0);
  });

  it("restoring a later snapshot undoes a restore", () => {
    const doc = richDoc();
    const first = untyped(doc);
    scramble(doc);
    const second = untyped(doc);
    const back = applied(doc, buildRestoreUpdate(untyped(doc), first));
    expect(content(back, ROOTS)).toEqual(content(first, ROOTS));
    const forward = applied(back, buildRestoreUpdate(back, second));
    expect(content(forward, ROOTS)).toEqual(content(second, ROOTS));
    expect(forward.getText("text").toDelta()).toEqual(second.getText("text").toDelta());
  });

  it("converges on replicas that also hold edits made concurrently with the restore", () => {
    const doc = richDoc();
    const snapshot = untyped(doc);
    scramble(doc);
    const restore = buildRestoreUpdate(untyped(doc), snapshot)!;
    const a = untyped(doc);
    const b = untyped(doc);
    const concurrent = (() => {
      let update: Uint8Array | null = null;
      b.once("update", (u: Uint8Array) => (update = u));
      b.getMap("map").set("late", "edit");
      return update!;
    })();
    Y.applyUpdate(a, restore);
    Y.applyUpdate(a, concurrent);
    Y.applyUpdate(b, restore);
    expect(content(a, ROOTS)).toEqual(content(b, ROOTS));
    expect(a.getMap("map").get("late")).toBe("edit");
    expect(a.getMap("map").get("title")).toBe("draft");
  });

  it("keeps equal text at both ends and never splits a surrogate pair", () => {
    const doc = new Y.Doc();
    doc.getText("text").insert(0, "start 😀 end");
    const snapshot = untyped(doc);
    const text = doc.getText("text");
    text.delete(6, 2);
    text.insert(6, "😃");
    const update = buildRestoreUpdate(untyped(doc), snapshot);
    const restored = applied(doc, update);
    expect(restored.getText("text").toString()).toBe("start 😀 end");
    // Only the emoji was rewritten: the update inserts two code units, not the whole text.
    const { structs } = Y.decodeUpdate(update!);
    const inserted = structs.filter((s): s is Y.Item => s instanceof Y.Item && s.content instanceof Y.ContentString);
    expect(inserted.map((s) => (s.content as Y.ContentString).str).join("")).toBe("😀");
  });

  it("matches random edit histories on text with formatting and on arrays", () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 30; round++) {
      const doc = new Y.Doc();
      const states: Y.Doc[] = [];
      for (let step = 0; step < 12; step++) {
        const text = doc.getText("text");
        const list = doc.getArray<unknown>("list");
        doc.transact(() => {
          for (let k = 0; k < 4; k++) {
            const op = random(5);
            if (op === 0 || text.length === 0) text.insert(random(text.length + 1), "abcdef".slice(random(6)), random(2) ? { bold: true } : {});
            else if (op === 1) text.delete(random(text.length), 1 + random(3));
            else if (op === 2) text.format(random(text.length), 1 + random(4), { italic: random(2) ? true : null });
            else if (op === 3) list.insert(random(list.length + 1), [random(5), { k: random(3) }]);
            else if (list.length > 0) list.delete(random(list.length), 1);
          }
        });
        states.push(untyped(doc));
      }
      const target = states[random(states.length)];
      const restored = applied(doc, buildRestoreUpdate(untyped(doc), target));
      expect(restored.getText("text").toDelta()).toEqual(target.getText("text").toDelta());
      expect(restored.getArray("list").toJSON()).toEqual(target.getArray("list").toJSON());
    }
  });

  it("refuses a root that changed type between the snapshot and now", () => {
    const then = new Y.Doc();
    then.getText("body").insert(0, "text");
    const now = new Y.Doc();
    now.getMap("body").set("k", 1);
    expect(() => buildRestoreUpdate(untyped(now), untyped(then))).toThrow(RestoreConflict);
  });
});
