// Snapshots are stored in the Yjs V2 update encoding, which is about half the size of V1 for
// text-heavy documents; V1 snapshots written before stay readable. The wire protocol is V1.
import * as Y from "yjs";

export type UpdateEncoding = "v1" | "v2";

/** The encoding new snapshots are written in. */
export const SNAPSHOT_ENCODING: UpdateEncoding = "v2";

export function encodeDocument(doc: Y.Doc, encoding: UpdateEncoding): Uint8Array {
  return encoding === "v2" ? Y.encodeStateAsUpdateV2(doc) : Y.encodeStateAsUpdate(doc);
}

export function applyEncoded(doc: Y.Doc, bytes: Uint8Array, encoding: UpdateEncoding): void {
  if (encoding === "v2") Y.applyUpdateV2(doc, bytes);
  else Y.applyUpdate(doc, bytes);
}

/** The same update in another encoding (unchanged when it is already in it). */
export function convertEncoding(bytes: Uint8Array, from: UpdateEncoding, to: UpdateEncoding): Uint8Array {
  if (from === to) return bytes;
  return to === "v1" ? Y.convertUpdateFormatV2ToV1(bytes) : Y.convertUpdateFormatV1ToV2(bytes);
}
