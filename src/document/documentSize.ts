// The document's size as its Yjs V1 encoding, kept current without encoding it per update: what was
// loaded (the newest snapshot's recorded size plus the log after it), plus every update accepted
// since. Deletions are not subtracted, so it is an upper bound; near the limit it is measured.
import * as Y from "yjs";

export class DocumentSize {
  /** A measured or loaded size, and the bytes accepted after it. */
  private base = 0;
  private since = 0;
  /** `since` at the last measurement: measure again only after this much more, so a client at the limit cannot make every update encode the document. */
  private measuredAtSince = Number.NEGATIVE_INFINITY;

  /** `max` is read on every check, so a changed limit applies at once. */
  constructor(private readonly limit: () => number) {}

  /** After a load: the size the store reported. */
  loaded(bytes: number): void {
    this.base = bytes;
    this.since = 0;
    this.measuredAtSince = Number.NEGATIVE_INFINITY;
  }

  /** Whether `bytes` more fit under the limit; measures `doc` when the estimate says no. */
  fits(doc: Y.Doc, bytes: number): boolean {
    const max = this.limit();
    if (this.base + this.since + bytes <= max) return true;
    if (this.since - this.measuredAtSince < Math.max(64 * 1024, max / 100)) return false;
    this.base = Y.encodeStateAsUpdate(doc).byteLength;
    this.since = 0;
    this.measuredAtSince = 0;
    return this.base + bytes <= max;
  }

  /** An accepted update's stored bytes. */
  grew(bytes: number): void {
    this.since += bytes;
  }

  get estimate(): number {
    return this.base + this.since;
  }
}
