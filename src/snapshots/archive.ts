// The R2 layout of snapshots: one object per document and log sequence number, written with its
// sha256 so R2 rejects a corrupted upload, and checked against it again on every read.

const SEQ_DIGITS = 16;

/** Every snapshot of a document lives under this prefix. */
export const snapshotPrefix = (docId: string) => `docs/${docId}/snapshots/`;

/** Deterministic: a retried compaction of the same state writes the same key again. */
export const snapshotKey = (docId: string, seq: number) => `${snapshotPrefix(docId)}${String(seq).padStart(SEQ_DIGITS, "0")}.yjs`;

/** The sequence number in a key made by `snapshotKey`, or null for any other key. */
export function seqOfKey(key: string): number | null {
  const match = /\/(\d+)\.yjs$/.exec(key);
  return match ? Number(match[1]) : null;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A snapshot that the table lists but R2 cannot give back intact. */
export class SnapshotUnavailable extends Error {
  constructor(
    readonly key: string,
    readonly reason: "missing" | "corrupt",
  ) {
    super(`snapshot ${key} is ${reason} in R2`);
    this.name = "SnapshotUnavailable";
  }
}

/** Snapshot objects in one R2 bucket. */
export class SnapshotArchive {
  constructor(private readonly bucket: R2Bucket) {}

  /** Stores the bytes; R2 verifies `sha256` and fails the put on a mismatch. */
  async put(key: string, bytes: Uint8Array, sha256: string, metadata: Record<string, string>): Promise<void> {
    await this.bucket.put(key, bytes, {
      sha256,
      httpMetadata: { contentType: "application/octet-stream" },
      customMetadata: metadata,
    });
  }

  /** Reads a snapshot back and checks it against the checksum recorded when it was written. */
  async get(key: string, sha256: string): Promise<Uint8Array> {
    const object = await this.bucket.get(key);
    if (!object) throw new SnapshotUnavailable(key, "missing");
    const bytes = new Uint8Array(await object.arrayBuffer());
    if ((await sha256Hex(bytes)) !== sha256) throw new SnapshotUnavailable(key, "corrupt");
    return bytes;
  }

  /** The object as a stream, for handing straight to an HTTP response. */
  async open(key: string): Promise<R2ObjectBody | null> {
    return this.bucket.get(key);
  }

  async delete(keys: string[]): Promise<void> {
    // One delete call takes at most 1,000 keys.
    for (let i = 0; i < keys.length; i += 1000) await this.bucket.delete(keys.slice(i, i + 1000));
  }

  /** Every key under `prefix`, across list pages. */
  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.bucket.list({ prefix, cursor });
      keys.push(...page.objects.map((object) => object.key));
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    return keys;
  }
}
