// A document's entry in the index: what its Durable Object reports, what D1 stores, what the API returns.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Operator-set metadata: any JSON object (title, tags, ...). */
export type Metadata = { [key: string]: JsonValue };

/** Serialized metadata is limited so index rows stay small. */
export const MAX_METADATA_BYTES = 16 * 1024;

/** One document as the index holds it. Times are milliseconds since the epoch. */
export interface DocumentRecord {
  id: string;
  createdAt: number;
  /** The last change to the content (creation time until the first edit). */
  updatedAt: number;
  /** The whole document encoded as one Yjs update (V1). */
  sizeBytes: number;
  /** Bytes held in the update log. */
  storedBytes: number;
  /** Updates in the log, not yet folded into a snapshot. */
  updateCount: number;
  snapshotCount: number;
  /** The log sequence number the newest snapshot covers (snapshots are named by it). */
  latestSnapshotSeq: number | null;
  latestSnapshotAt: number | null;
  connections: number;
  lastEditor: string | null;
  metadata: Metadata;
}

/** A document as the REST API shows it: ISO times, plus when the index last received it. */
export interface DocumentView extends Omit<DocumentRecord, "createdAt" | "updatedAt" | "latestSnapshotAt"> {
  createdAt: string;
  updatedAt: string;
  latestSnapshotAt: string | null;
  indexedAt: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function toView(record: DocumentRecord, indexedAt: number | null): DocumentView {
  return {
    id: record.id,
    createdAt: iso(record.createdAt),
    updatedAt: iso(record.updatedAt),
    sizeBytes: record.sizeBytes,
    storedBytes: record.storedBytes,
    updateCount: record.updateCount,
    snapshotCount: record.snapshotCount,
    latestSnapshotSeq: record.latestSnapshotSeq,
    latestSnapshotAt: record.latestSnapshotAt === null ? null : iso(record.latestSnapshotAt),
    connections: record.connections,
    lastEditor: record.lastEditor,
    metadata: record.metadata,
    indexedAt: indexedAt === null ? null : iso(indexedAt),
  };
}

/** Whether a parsed JSON value is an object (JSON.parse gives nothing but JSON values). */
export const isMetadata = (value: unknown): value is Metadata =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** JSON Merge Patch (RFC 7396) of operator metadata: `null` removes a key, objects merge, the rest replaces. */
export function mergeMetadata(target: Metadata, patch: Metadata): Metadata {
  const result: Metadata = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (isMetadata(value)) result[key] = mergeMetadata(isMetadata(result[key]) ? result[key] : {}, value);
    else result[key] = value;
  }
  return result;
}

export const metadataBytes = (metadata: Metadata) => new TextEncoder().encode(JSON.stringify(metadata)).byteLength;
