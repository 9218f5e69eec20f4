// A document's shared types as plain JSON, for inspection. Types arrive from updates untyped (the
// update format does not say whether a sequence is text, XML or an array), so each top-level type
// is classified by its content before it is read.
import * as Y from "yjs";

type Kind = "map" | "text" | "xml" | "array" | "empty";

/**
 * Every top-level type by name: maps and arrays as JSON, text as a string, XML fragments as XML.
 * A type with no live content is null. Works on a copy, so the live document's types keep
 * whatever classes its clients gave them.
 */
export function docToJson(doc: Y.Doc): Record<string, unknown> {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  const json: Record<string, unknown> = {};
  for (const [name, type] of [...copy.share]) {
    switch (kindOf(type)) {
      case "map":
        json[name] = copy.getMap(name).toJSON();
        break;
      case "text":
        json[name] = copy.getText(name).toString();
        break;
      case "xml":
        json[name] = copy.getXmlFragment(name).toString();
        break;
      case "array":
        json[name] = copy.getArray(name).toJSON();
        break;
      case "empty":
        json[name] = null;
    }
  }
  return json;
}

function kindOf(type: Y.AbstractType<Y.YEvent<any>>): Kind {
  let kind: Kind = "empty";
  for (let item = type._start; item !== null; item = item.right) {
    if (item.deleted) continue;
    const content = item.content;
    // Text may embed types, so any character or format decides; otherwise any XML node does.
    if (content instanceof Y.ContentString || content instanceof Y.ContentFormat || content instanceof Y.ContentEmbed) return "text";
    if (content instanceof Y.ContentType && (content.type instanceof Y.XmlElement || content.type instanceof Y.XmlText || content.type instanceof Y.XmlHook)) {
      kind = "xml";
    } else if (kind === "empty") {
      kind = "array";
    }
  }
  if (kind !== "empty") return kind;
  for (const item of type._map.values()) if (!item.deleted) return "map";
  return "empty";
}
