// The bindings and variables the Worker and the document Durable Object receive.
import type { DocumentObject } from "./document/DocumentObject";
import type { LimitVars } from "./document/limits";
import type { DeadLetter, EventMessage } from "./events/eventTypes";
import type { EventsVars } from "./events/outbox";
import type { SnapshotVars } from "./snapshots/config";
import type { WebhookVars } from "./webhooks/config";

/**
 * Compaction and retention settings (`COMPACT_*`, `SNAPSHOT_*`, src/snapshots/config.ts), limits
 * (`MAX_*`, src/document/limits.ts), events (`EVENTS_*`, src/events/outbox.ts) and webhook
 * delivery (`WEBHOOK_*`, src/webhooks/config.ts) come from `vars`.
 */
export interface Env extends SnapshotVars, LimitVars, EventsVars, WebhookVars {
  DOCUMENTS: DurableObjectNamespace<DocumentObject>;
  DB: D1Database;
  SNAPSHOTS: R2Bucket;
  /** Change events: produced by the document objects, consumed by this Worker's `queue()` handler. */
  EVENTS?: Queue<EventMessage>;
  /** Where a webhook delivery goes after its last failed attempt. */
  EVENTS_DLQ?: Queue<DeadLetter | EventMessage>;
  /** Signs and verifies client tokens (HS256). Unset means every client connection is refused. */
  AUTH_SECRET?: string;
  /** Bearer token for the admin REST API. Unset means every admin request is refused. */
  ADMIN_TOKEN?: string;
  /** Origins allowed to call /v1 from a browser (comma-separated, or `*`); empty turns CORS off. */
  ADMIN_CORS_ORIGINS?: string;
  /** Browser origins allowed to open a WebSocket (comma-separated); empty allows any. */
  ALLOWED_ORIGINS?: string;
  /** Seconds between ghost-reaping runs while a document has connections (src/document/reaping.ts). */
  REAP_INTERVAL_SECONDS?: string | number;
  /**
   * "true" only in local development (.dev.vars): enables the demo's token endpoint and lets
   * webhooks point at http://localhost and http://127.0.0.1.
   */
  DEV_MODE?: string;
}
