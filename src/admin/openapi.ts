// GET /v1/openapi.json: an OpenAPI 3.1 description of the admin API. test/admin/openapi.test.ts
// checks it against the route table and against real responses, so it stays true.
import { DOC_ID_PATTERN_TEXT, errors, isoTime, json, ref, schemas } from "./openapiSchemas";
import { eventWebhooks, webhookPaths, webhookSchemas } from "./openapiWebhooks";

const binary = { type: "string", contentMediaType: "application/octet-stream" };
const update = (description: string) => ({ description, content: { "application/octet-stream": { schema: binary } } });

const ERRORS: Record<number, string> = {
  400: "Bad input (document id, JSON, query parameter or Yjs update).",
  401: "Missing or wrong admin token.",
  404: "No such document, snapshot or webhook.",
  409: "The restore conflicts with the document's current state, or the webhook limit is reached.",
  413: "Body, metadata or the document (MAX_DOCUMENT_BYTES) too large.",
  415: "Wrong Content-Type.",
  502: "A snapshot is listed but missing or corrupt in R2.",
  503: "ADMIN_TOKEN is not configured, or the index is unavailable.",
};

const docId = { $ref: "#/components/parameters/docId" };
const snapshotId = { $ref: "#/components/parameters/snapshotId" };

export const OPENAPI = {
  openapi: "3.1.0",
  info: {
    title: "Quire admin API",
    version: "1.0.0",
    description:
      "Manage Quire documents and the webhooks that receive their change events. Every operation but this description needs `Authorization: Bearer <ADMIN_TOKEN>`. Errors are `{ \"error\": { \"code\", \"message\" } }`. Listings come from the D1 index, which follows edits within seconds; single-document reads ask the document itself.",
  },
  security: [{ adminToken: [] }],
  paths: {
    "/v1/openapi.json": {
      get: { operationId: "getOpenApi", summary: "This description.", security: [], responses: { 200: json("OpenAPI 3.1 document.", { type: "object" }) } },
    },
    "/v1/docs": {
      get: {
        operationId: "listDocuments",
        summary: "List or search documents from the index, a page at a time.",
        description:
          "Filters combine (all must hold). Besides the parameters below, any number (up to 10) of `metadata.<key>=<value>` parameters keep documents whose top-level metadata value under `<key>` is exactly `<value>`: a string as it is, a number or boolean as JSON spells it (`metadata.draft=true`), or one element of an array (`metadata.tags=planning`).",
        parameters: [
          {
            name: "q",
            in: "query",
            schema: { type: "string", minLength: 1, maxLength: 256 },
            description:
              "Search words: documents whose id or metadata string values (title, tags, any other) contain every word, each as a word or the start of one, accents ignored. Ranked by relevance (a title match counts most) unless `order` says otherwise.",
          },
          { name: "updatedSince", in: "query", schema: isoTime, description: "Only documents changed at or after this time." },
          { name: "prefix", in: "query", schema: { type: "string", maxLength: 128 }, description: "Only ids starting with this." },
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000, default: 50 } },
          { name: "cursor", in: "query", schema: { type: "string" }, description: "`nextCursor` of the previous page (same `order`)." },
          {
            name: "order",
            in: "query",
            schema: { type: "string", enum: ["updated", "created", "id", "relevance"] },
            description:
              "`updated` (the default without `q`) and `created`: newest first; `id`: ascending; `relevance` (the default with `q`, which it needs): best match first. Ties are broken by id, so the order is stable.",
          },
        ],
        responses: { 200: json("A page of documents.", ref("DocumentList")), ...errors(400, 401, 503) },
      },
    },
    "/v1/docs/{docId}": {
      parameters: [docId],
      put: {
        operationId: "createDocument",
        summary: "Create a document (idempotent), optionally with initial content or metadata.",
        requestBody: {
          required: false,
          content: {
            "application/octet-stream": { schema: binary, description: "A Yjs update (V1) to start from." },
            "application/json": { schema: { type: "object", properties: { metadata: ref("Metadata") } } },
          },
        },
        responses: { 200: json("It already existed (content and metadata applied).", ref("Document")), 201: json("Created.", ref("Document")), ...errors(400, 401, 413, 415, 503) },
      },
      get: {
        operationId: "getDocument",
        summary: "A document's metadata, as the document sees it now, with how often its object has started (`wakes`).",
        responses: { 200: json("The document.", ref("DocumentDetail")), ...errors(400, 401, 404, 503) },
      },
      patch: {
        operationId: "patchDocumentMetadata",
        summary: "Change operator metadata with a JSON Merge Patch (RFC 7396): `null` removes a key.",
        requestBody: { required: true, content: { "application/json": { schema: { type: "object", required: ["metadata"], properties: { metadata: ref("Metadata") } } } } },
        responses: { 200: json("The document after the change.", ref("Document")), ...errors(400, 401, 404, 413, 503) },
      },
      delete: {
        operationId: "deleteDocument",
        summary: "Delete everything: the document's storage, its R2 snapshots and its index row. Live clients are closed with 4410.",
        responses: { 204: { description: "Deleted." }, ...errors(400, 401, 404, 503) },
      },
    },
    "/v1/docs/{docId}/update": {
      parameters: [docId],
      get: {
        operationId: "getDocumentUpdate",
        summary: "The document as one binary Yjs update (V1), or only what `sv` lacks.",
        parameters: [{ name: "sv", in: "query", schema: { type: "string" }, description: "A base64url Yjs state vector." }],
        responses: { 200: update("The update."), ...errors(400, 401, 404, 503) },
      },
      post: {
        operationId: "applyDocumentUpdate",
        summary: "Apply a binary Yjs update: validated, stored, broadcast to live clients.",
        requestBody: { required: true, content: { "application/octet-stream": { schema: binary } } },
        responses: {
          200: json("Applied.", { type: "object", required: ["changed"], properties: { changed: { type: "boolean", description: "False when the update held nothing new." } } }),
          ...errors(400, 401, 404, 413, 415, 503),
        },
      },
    },
    "/v1/docs/{docId}/json": {
      parameters: [docId],
      get: {
        operationId: "getDocumentJson",
        summary: "The shared types as JSON, for inspection: maps and arrays as JSON, text and XML as strings, empty types as null.",
        responses: { 200: json("Top-level types by name.", { type: "object" }), ...errors(400, 401, 404, 503) },
      },
    },
    "/v1/docs/{docId}/connections": {
      parameters: [docId],
      get: {
        operationId: "listConnections",
        summary: "Live sessions.",
        responses: {
          200: json("The connections.", { type: "object", required: ["connections"], properties: { connections: { type: "array", items: ref("Session") } } }),
          ...errors(400, 401, 404, 503),
        },
      },
    },
    "/v1/docs/{docId}/disconnect": {
      parameters: [docId],
      post: {
        operationId: "disconnect",
        summary: "Close all connections, or one user's or one session's, with 4403. Their tokens still work: to keep them out, revoke.",
        requestBody: {
          required: false,
          content: { "application/json": { schema: { type: "object", properties: { userId: { type: "string" }, sessionId: { type: "string" } } } } },
        },
        responses: {
          200: json("The sessions closed.", { type: "object", required: ["closed"], properties: { closed: { type: "array", items: ref("Session") } } }),
          ...errors(400, 401, 404, 413, 503),
        },
      },
    },
    "/v1/docs/{docId}/revoke": {
      parameters: [docId],
      post: {
        operationId: "revoke",
        summary:
          "Revoke one user's access, or everyone's: their connections close with 4403, and their tokens for this document issued at or before this second are refused from now on (403 `token_revoked` on connect). Tokens issued later work.",
        requestBody: {
          required: false,
          content: { "application/json": { schema: { type: "object", properties: { userId: { type: "string", minLength: 1, maxLength: 256 } } } } },
        },
        responses: {
          200: json("The revocation time (tokens issued at or before it are refused) and the sessions closed.", {
            type: "object",
            required: ["revokedAt", "closed"],
            properties: { revokedAt: isoTime, closed: { type: "array", items: ref("Session") } },
          }),
          ...errors(400, 401, 404, 413, 503),
        },
      },
    },
    "/v1/docs/{docId}/snapshots": {
      parameters: [docId],
      get: {
        operationId: "listSnapshots",
        summary: "The document's snapshots in R2, newest first.",
        responses: {
          200: json("The snapshots.", { type: "object", required: ["snapshots"], properties: { snapshots: { type: "array", items: ref("Snapshot") } } }),
          ...errors(400, 401, 503),
        },
      },
      post: {
        operationId: "createSnapshot",
        summary: "Compact now: fold the update log into a new snapshot.",
        responses: {
          200: json("Nothing changed since the newest snapshot, which is returned.", ref("SnapshotCreated")),
          201: json("A new snapshot.", ref("SnapshotCreated")),
          ...errors(400, 401, 503),
        },
      },
    },
    "/v1/docs/{docId}/snapshots/{snapshotId}/update": {
      parameters: [docId, snapshotId],
      get: {
        operationId: "getSnapshotUpdate",
        summary: "One snapshot as a binary Yjs update, checked against its stored SHA-256: V1 unless `encoding=v2` asks for the Yjs V2 encoding.",
        parameters: [{ name: "encoding", in: "query", schema: { type: "string", enum: ["v1", "v2"], default: "v1" }, description: "The Yjs update encoding of the answer." }],
        responses: { 200: update("The snapshot."), ...errors(400, 401, 404, 502, 503) },
      },
    },
    "/v1/docs/{docId}/snapshots/{snapshotId}/restore": {
      parameters: [docId, snapshotId],
      post: {
        operationId: "restoreSnapshot",
        summary: "Make the content equal to a snapshot's, as a new change every live client receives.",
        responses: { 200: json("Restored.", ref("RestoreResult")), ...errors(400, 401, 404, 409, 502, 503) },
      },
    },
    "/v1/docs/{docId}/tokens": {
      parameters: [docId],
      post: {
        operationId: "issueToken",
        summary: "Mint a client token (HS256 JWT) for one document.",
        requestBody: { required: true, content: { "application/json": { schema: ref("TokenRequest") } } },
        responses: { 200: json("The token and a ready WebSocket URL.", ref("Token")), ...errors(400, 401, 413, 503) },
      },
    },
    ...webhookPaths,
  },
  webhooks: eventWebhooks,
  components: {
    securitySchemes: { adminToken: { type: "http", scheme: "bearer", description: "The ADMIN_TOKEN secret." } },
    parameters: {
      docId: { name: "docId", in: "path", required: true, schema: { type: "string", pattern: DOC_ID_PATTERN_TEXT } },
      snapshotId: { name: "snapshotId", in: "path", required: true, schema: { type: "string" }, description: "A snapshot's `id` from the listing." },
      webhookId: { name: "webhookId", in: "path", required: true, schema: { type: "string" }, description: "A webhook's `id`." },
    },
    responses: Object.fromEntries(Object.entries(ERRORS).map(([status, description]) => [`Error${status}`, json(description, ref("Error"))])),
    schemas: { ...schemas, ...webhookSchemas },
  },
} as const;

export function getOpenApi(): Response {
  return Response.json(OPENAPI);
}
