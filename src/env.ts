// The bindings and variables the Worker and the document Durable Object receive.
import type { DocumentObject } from "./document/DocumentObject";
import type { LimitVars } from "./document/limits";
import type { SnapshotVars } from "./snapshots/config";

/**
 * Compaction and retention settings (`COMPACT_*`, `SNAPSHOT_*`, src/snapshots/config.ts) and limits
 * (`MAX_*`, src/document/limits.ts) come from `vars`.
 */
export interface Env extends SnapshotVars, LimitVars {
  DOCUMENTS: DurableObjectNamespace<DocumentObject>;
  DB: D1Database;
  SNAPSHOTS: R2Bucket;
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
}
