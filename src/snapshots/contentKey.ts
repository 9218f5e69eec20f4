// Content keys: one string per value that two values share exactly when their content is equal,
// whatever document or client ids they come from. Restore compares content with them.
import * as Y from "yjs";

/** A canonical string for a shared type, a subdocument or a plain value (object keys sorted). */
export function contentKey(value: unknown): string {
  if (value instanceof Y.XmlElement) {
    return `E${JSON.stringify(value.nodeName)}${plainKey(value.getAttributes())}${childrenKey(value)}`;
  }
  if (value instanceof Y.XmlHook) return `H${JSON.stringify(value.hookName)}${mapKey(value)}`;
  if (value instanceof Y.XmlFragment) return `F${childrenKey(value)}`;
  if (value instanceof Y.Text) return `${value instanceof Y.XmlText ? "X" : "T"}${deltaKey(value)}`;
  if (value instanceof Y.Array) return `A${childrenKey(value)}`;
  if (value instanceof Y.Map) return `M${mapKey(value)}`;
  if (value instanceof Y.Doc) return `D${JSON.stringify(value.guid)}`;
  return plainKey(value);
}

/** The key of a formatting attribute set; absent and empty are the same. */
export const attributesKey = (attributes: Record<string, unknown> | undefined) => plainKey(attributes ?? {});

function childrenKey(type: Y.Array<unknown> | Y.XmlFragment): string {
  return `[${type.toArray().map(contentKey).join(",")}]`;
}

function mapKey(map: Y.Map<unknown>): string {
  const entries = [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${contentKey(value)}`).join(",")}}`;
}

function deltaKey(text: Y.Text): string {
  const ops = text.toDelta() as Array<{ insert: unknown; attributes?: Record<string, unknown> }>;
  return `[${ops.map((op) => `${typeof op.insert === "string" ? JSON.stringify(op.insert) : contentKey(op.insert)}${attributesKey(op.attributes)}`).join(",")}]`;
}

function plainKey(value: unknown): string {
  if (value === undefined) return "u";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (value instanceof Y.AbstractType || value instanceof Y.Doc) return contentKey(value);
  if (value instanceof Uint8Array) return `B${Array.from(value).join(".")}`;
  if (Array.isArray(value)) return `[${value.map(plainKey).join(",")}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record).sort().map((key) => `${JSON.stringify(key)}:${plainKey(record[key])}`).join(",")}}`;
}

/** A copy of a value that can be inserted into another document. */
export function cloneValue(value: unknown): unknown {
  if (value instanceof Y.AbstractType) return value.clone();
  if (value instanceof Y.Doc) {
    return new Y.Doc({ guid: value.guid, collectionid: value.collectionid ?? undefined, gc: value.gc, meta: value.meta, autoLoad: value.autoLoad, shouldLoad: value.shouldLoad });
  }
  if (value instanceof Uint8Array) return value.slice();
  return value;
}
