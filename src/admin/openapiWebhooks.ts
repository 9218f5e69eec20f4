// The webhook part of the OpenAPI description: the /v1/webhooks routes, their schemas, and the
// change events Quire POSTs to receivers (OpenAPI 3.1 `webhooks`).
import { EVENT_TYPES } from "../events/eventTypes";
import { MAX_DELIVERY_LIMIT, MAX_SECRET_LENGTH, MIN_SECRET_LENGTH } from "./webhooks";
import { errors, isoTime, json, nullable, ref } from "./openapiSchemas";

const webhookId = { $ref: "#/components/parameters/webhookId" };
const eventType = { type: "string", enum: [...EVENT_TYPES] };

export const webhookPaths = {
  "/v1/webhooks": {
    post: {
      operationId: "createWebhook",
      summary:
        "Register a receiver of change events. Its URL must use https (local development, DEV_MODE=true, also allows http://localhost and http://127.0.0.1). The secret (generated when none is given) is returned only here.",
      requestBody: { required: true, content: { "application/json": { schema: ref("WebhookRequest") } } },
      responses: { 201: json("Created, with its secret.", ref("WebhookCreated")), ...errors(400, 401, 409, 413, 503) },
    },
    get: {
      operationId: "listWebhooks",
      summary: "Every webhook, oldest first, without secrets.",
      responses: {
        200: json("The webhooks.", { type: "object", required: ["webhooks"], properties: { webhooks: { type: "array", items: ref("Webhook") } } }),
        ...errors(401, 503),
      },
    },
  },
  "/v1/webhooks/{webhookId}": {
    parameters: [webhookId],
    delete: {
      operationId: "deleteWebhook",
      summary: "Remove a webhook and its delivery log; retries already queued for it are dropped.",
      responses: { 204: { description: "Deleted." }, ...errors(401, 404, 503) },
    },
  },
  "/v1/webhooks/{webhookId}/deliveries": {
    parameters: [webhookId],
    get: {
      operationId: "listWebhookDeliveries",
      summary: "Recent delivery attempts (the newest 500 are kept), newest first, a page at a time.",
      parameters: [
        { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: MAX_DELIVERY_LIMIT, default: 50 } },
        { name: "cursor", in: "query", schema: { type: "string" }, description: "`nextCursor` of the previous page." },
      ],
      responses: { 200: json("A page of attempts.", ref("DeliveryList")), ...errors(400, 401, 404, 503) },
    },
  },
};

const webhookProperties = {
  id: { type: "string" },
  url: { type: "string", format: "uri" },
  events: { type: "array", items: eventType, description: "The event types delivered." },
  createdAt: isoTime,
};

export const webhookSchemas = {
  WebhookRequest: {
    type: "object",
    required: ["url"],
    additionalProperties: false,
    properties: {
      url: { type: "string", format: "uri", maxLength: 2048 },
      events: { type: "array", minItems: 1, items: eventType, description: "Default: every event type." },
      secret: { type: "string", minLength: MIN_SECRET_LENGTH, maxLength: MAX_SECRET_LENGTH, description: "HMAC key for Quire-Signature. Default: a generated one." },
    },
  },
  Webhook: { type: "object", required: ["id", "url", "events", "createdAt"], additionalProperties: false, properties: webhookProperties },
  WebhookCreated: {
    type: "object",
    required: ["id", "url", "events", "createdAt", "secret"],
    additionalProperties: false,
    properties: { ...webhookProperties, secret: { type: "string", description: "Shown once: store it to verify Quire-Signature." } },
  },
  Delivery: {
    type: "object",
    required: ["id", "eventId", "eventType", "docId", "attempt", "status", "error", "durationMs", "attemptedAt", "outcome", "nextAttemptAt"],
    additionalProperties: false,
    properties: {
      id: { type: "integer" },
      eventId: { type: "string" },
      eventType,
      docId: { type: "string" },
      attempt: { type: "integer", minimum: 1, description: "1 for the first attempt to deliver this event to this webhook." },
      status: nullable({ type: "integer", description: "The receiver's HTTP status; null when it did not answer in time or could not be reached." }),
      error: nullable({ type: "string" }),
      durationMs: { type: "integer" },
      attemptedAt: isoTime,
      outcome: {
        type: "string",
        enum: ["delivered", "retrying", "dead_lettered"],
        description: "`retrying`: another attempt follows at `nextAttemptAt`; `dead_lettered`: this was the last attempt, and the delivery went to the dead-letter queue.",
      },
      nextAttemptAt: nullable(isoTime),
    },
  },
  DeliveryList: {
    type: "object",
    required: ["deliveries", "nextCursor"],
    properties: { deliveries: { type: "array", items: ref("Delivery") }, nextCursor: nullable({ type: "string" }) },
  },
  Event: {
    type: "object",
    required: ["id", "type", "docId", "occurredAt"],
    additionalProperties: false,
    properties: {
      id: { type: "string", description: "Unique per event and the same on every retry (also in Quire-Event-Id): use it to ignore duplicates." },
      type: eventType,
      docId: { type: "string" },
      occurredAt: { ...isoTime, description: "The last edit (document.updated), the snapshot's time (snapshot.created), or when it happened." },
      seq: { type: "integer", description: "The document's update-log sequence number the event covers (a snapshot's own for snapshot.created). Absent for document.deleted." },
      sizeBytes: { type: "integer", description: "The document's size as one Yjs update (V1). Absent for document.deleted." },
      lastEditor: nullable({ type: "string", description: "The user id of the last edit. Absent for document.deleted." }),
      snapshotId: { type: "string", description: "snapshot.created: the new snapshot; snapshot.restored: the one restored from." },
    },
  },
};

export const eventWebhooks = {
  changeEvent: {
    post: {
      summary:
        "A change event, POSTed as JSON to every webhook that wants its type, at least once (receivers dedupe by `id`). At most one document.updated per document every EVENTS_DEBOUNCE_SECONDS. Any 2xx acknowledges it; anything else, or no answer within WEBHOOK_TIMEOUT_SECONDS, is retried with exponential backoff up to WEBHOOK_MAX_ATTEMPTS attempts.",
      security: [],
      parameters: [
        { name: "Quire-Event-Id", in: "header", required: true, schema: { type: "string" }, description: "The event's `id`." },
        { name: "Quire-Event-Type", in: "header", required: true, schema: eventType },
        { name: "Quire-Delivery-Attempt", in: "header", required: true, schema: { type: "integer", minimum: 1 } },
        {
          name: "Quire-Signature",
          in: "header",
          required: true,
          schema: { type: "string", pattern: "^t=\\d+,v1=[0-9a-f]{64}$" },
          description: "`t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\" keyed with the webhook's secret>`.",
        },
      ],
      requestBody: { required: true, content: { "application/json": { schema: ref("Event") } } },
      responses: { "2XX": { description: "Received; not sent again." }, default: { description: "Not received; retried later." } },
    },
  },
};
