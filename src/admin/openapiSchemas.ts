// The JSON Schemas (OpenAPI 3.1 dialect) of the admin API's bodies, and the helpers that refer to
// them, shared by openapi.ts and openapiWebhooks.ts.

export const DOC_ID_PATTERN_TEXT = "^[A-Za-z0-9_.:-]{1,128}$";

export const isoTime = { type: "string", format: "date-time" };
export const nullable = (schema: object) => ({ anyOf: [schema, { type: "null" }] });
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const json = (description: string, schema: object) => ({ description, content: { "application/json": { schema } } });
/** The shared error responses (components.responses) for these statuses. */
export const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [String(status), { $ref: `#/components/responses/Error${status}` }]));

const DOCUMENT_FIELDS = [
  "id", "createdAt", "updatedAt", "sizeBytes", "storedBytes", "updateCount", "snapshotCount", "latestSnapshotSeq",
  "latestSnapshotAt", "connections", "lastEditor", "metadata", "indexedAt",
] as const;

const documentProperties = {
  id: { type: "string", pattern: DOC_ID_PATTERN_TEXT },
  createdAt: isoTime,
  updatedAt: { ...isoTime, description: "Last content change." },
  sizeBytes: {
    type: "integer",
    description: "The whole document encoded as one Yjs update (V1), from what is stored: exact after a compaction, an upper bound between compactions.",
  },
  storedBytes: { type: "integer", description: "Bytes in the update log." },
  updateCount: { type: "integer", description: "Entries in the log (one per group-commit batch), not yet folded into a snapshot." },
  snapshotCount: { type: "integer" },
  latestSnapshotSeq: nullable({ type: "integer" }),
  latestSnapshotAt: nullable(isoTime),
  connections: { type: "integer", description: "Live connections." },
  lastEditor: nullable({ type: "string" }),
  metadata: { $ref: "#/components/schemas/Metadata" },
  indexedAt: nullable({ ...isoTime, description: "When the index row was last written." }),
};

export const schemas = {
  Error: {
    type: "object",
    required: ["error"],
    properties: { error: { type: "object", required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string" } } } },
  },
  Metadata: { type: "object", description: "Operator-set JSON (title, tags, anything); at most 16 KiB serialized.", additionalProperties: true },
  Document: {
    type: "object",
    required: [...DOCUMENT_FIELDS],
    additionalProperties: false,
    properties: documentProperties,
  },
  DocumentDetail: {
    type: "object",
    description: "A document as its object sees it now, with how often the object has started.",
    required: [...DOCUMENT_FIELDS, "wakes", "lastWakeAt"],
    additionalProperties: false,
    properties: {
      ...documentProperties,
      wakes: { type: "integer", description: "How many times the document's object has started since the document was created." },
      lastWakeAt: nullable({ ...isoTime, description: "When it last started." }),
    },
  },
  DocumentList: {
    type: "object",
    required: ["documents", "nextCursor"],
    properties: {
      documents: { type: "array", items: { $ref: "#/components/schemas/Document" } },
      nextCursor: nullable({ type: "string", description: "Pass as `cursor` for the next page; null on the last page." }),
    },
  },
  Session: {
    type: "object",
    required: ["sessionId", "userId", "access", "connectedAt"],
    additionalProperties: false,
    properties: {
      sessionId: { type: "string" },
      userId: { type: "string" },
      access: { type: "string", enum: ["read", "write"] },
      connectedAt: isoTime,
    },
  },
  Snapshot: {
    type: "object",
    required: ["id", "seq", "createdAt", "size", "sha256", "reason", "encoding"],
    properties: {
      id: { type: "string", description: "The sequence number, as a string." },
      seq: { type: "integer", description: "The last update-log sequence number the snapshot covers." },
      createdAt: isoTime,
      size: { type: "integer", description: "Bytes stored, in the snapshot's own encoding." },
      sha256: { type: "string", description: "SHA-256 of the stored bytes." },
      reason: { type: "string", enum: ["threshold", "quiet", "manual", "restore"] },
      encoding: { type: "string", enum: ["v1", "v2"], description: "The Yjs update encoding it is stored in." },
    },
  },
  SnapshotCreated: {
    type: "object",
    required: ["snapshot", "created"],
    properties: { snapshot: { $ref: "#/components/schemas/Snapshot" }, created: { type: "boolean" } },
  },
  RestoreResult: {
    type: "object",
    required: ["restoredFrom", "changed", "snapshot"],
    properties: {
      restoredFrom: { $ref: "#/components/schemas/Snapshot" },
      changed: { type: "boolean", description: "False when the content already equalled the snapshot's." },
      snapshot: nullable({ $ref: "#/components/schemas/Snapshot" }),
    },
  },
  TokenRequest: {
    type: "object",
    required: ["access"],
    properties: {
      access: { type: "string", enum: ["read", "write"] },
      userId: { type: "string", minLength: 1, maxLength: 256 },
      ttlSeconds: { type: "integer", minimum: 1, maximum: 2592000 },
    },
  },
  Token: {
    type: "object",
    required: ["token", "expiresAt", "url"],
    properties: { token: { type: "string" }, expiresAt: isoTime, url: { type: "string" } },
  },
} as const;
