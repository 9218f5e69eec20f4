// What a document's Durable Object knows about itself beyond its content: creation time, last
// edit and editor, operator metadata. Kept in its own SQLite key-value table (document_meta).
import type { DocumentMeta } from "../storage/documentMeta";
import type { Metadata } from "./documentRecord";

export interface EncodedSize {
  bytes: number;
  seq: number;
}

export interface Wakes {
  count: number;
  lastAt: number;
}

interface Activity {
  updatedAt: number;
  lastEditor: string | null;
}

export class DocumentFacts {
  /** The creation time once read or written, so edits after the first skip the lookup. */
  private createdAt: number | null = null;

  constructor(
    private readonly meta: DocumentMeta,
    /** Told once, when the creation time is recorded (the document's `document.created` event). */
    private readonly onCreated: (createdAt: number) => void = () => {},
  ) {}

  /** The creation time, recorded on first call; `isNew` tells whether this call recorded it. */
  ensureCreated(now = Date.now()): { createdAt: number; isNew: boolean } {
    if (this.createdAt !== null) return { createdAt: this.createdAt, isNew: false };
    const stored = this.meta.get("created_at");
    if (stored !== null) {
      this.createdAt = Number(stored);
      return { createdAt: this.createdAt, isNew: false };
    }
    this.meta.set("created_at", String(now));
    this.createdAt = now;
    this.onCreated(now);
    return { createdAt: now, isNew: true };
  }

  /** Forgets the cached creation time after the storage under it was deleted. */
  forget(): void {
    this.createdAt = null;
  }

  hasCreationTime(): boolean {
    return this.meta.get("created_at") !== null;
  }

  /** Called for every stored update: one small row write, in the same transaction as the update. */
  recordEdit(userId: string | null, now = Date.now()): void {
    this.ensureCreated(now);
    this.meta.set("activity", JSON.stringify({ updatedAt: now, lastEditor: userId } satisfies Activity));
  }

  activity(): Activity | null {
    const stored = this.meta.get("activity");
    return stored === null ? null : (JSON.parse(stored) as Activity);
  }

  /** The encoded size as last measured, with the log sequence number it was measured at. */
  encodedSize(): EncodedSize | null {
    const stored = this.meta.get("encoded_size");
    return stored === null ? null : (JSON.parse(stored) as EncodedSize);
  }

  setEncodedSize(size: EncodedSize): void {
    this.meta.set("encoded_size", JSON.stringify(size));
  }

  /**
   * Counts a start of the document's object (a wake), with its time; an object that holds no
   * document yet is not counted. One small write per wake.
   */
  recordWake(now = Date.now()): void {
    if (!this.hasCreationTime()) return;
    const wakes = this.wakes();
    this.meta.set("wakes", JSON.stringify({ count: (wakes?.count ?? 0) + 1, lastAt: now } satisfies Wakes));
  }

  /** How often the object has started since the document was created, and when last. */
  wakes(): Wakes | null {
    const stored = this.meta.get("wakes");
    return stored === null ? null : (JSON.parse(stored) as Wakes);
  }

  metadata(): Metadata {
    return JSON.parse(this.meta.get("metadata") ?? "{}") as Metadata;
  }

  setMetadata(metadata: Metadata): void {
    this.meta.set("metadata", JSON.stringify(metadata));
  }
}
