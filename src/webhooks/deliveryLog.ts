// The `webhook_deliveries` table in D1: one row per delivery attempt, written by the queue
// consumer, read by GET /v1/webhooks/:id/deliveries. Only the newest attempts of each webhook are kept.
import type { EventType } from "../events/eventTypes";

export type DeliveryOutcome = "delivered" | "retrying" | "dead_lettered";

export interface DeliveryAttempt {
  webhookId: string;
  eventId: string;
  eventType: EventType;
  docId: string;
  /** 1 for the first attempt of this event to this webhook. */
  attempt: number;
  /** The receiver's HTTP status; null when it did not answer in time or could not be reached. */
  status: number | null;
  error: string | null;
  durationMs: number;
  attemptedAt: number;
  outcome: DeliveryOutcome;
  /** When the next attempt is due, for `retrying`. */
  nextAttemptAt: number | null;
}

/** Attempts kept per webhook; older ones are deleted as new ones are written. */
export const KEPT_ATTEMPTS = 500;

interface Row {
  id: number;
  webhook_id: string;
  event_id: string;
  event_type: string;
  doc_id: string;
  attempt: number;
  status: number | null;
  error: string | null;
  duration_ms: number;
  attempted_at: number;
  outcome: string;
  next_attempt_at: number | null;
}

/** Columns per attempt row; D1 takes at most 100 bound parameters a statement. */
const COLUMNS = 11;
const ROWS_PER_INSERT = Math.floor(100 / COLUMNS);

/** Writes a consumer batch's attempts and trims each webhook's log, in one D1 batch. */
export async function recordAttempts(db: D1Database, attempts: DeliveryAttempt[]): Promise<void> {
  if (attempts.length === 0) return;
  const inserts: D1PreparedStatement[] = [];
  for (let i = 0; i < attempts.length; i += ROWS_PER_INSERT) {
    const chunk = attempts.slice(i, i + ROWS_PER_INSERT);
    const values = chunk.flatMap((a) => [a.webhookId, a.eventId, a.eventType, a.docId, a.attempt, a.status, a.error, a.durationMs, a.attemptedAt, a.outcome, a.nextAttemptAt]);
    inserts.push(
      db
        .prepare(
          `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, doc_id, attempt, status, error, duration_ms, attempted_at, outcome, next_attempt_at)
           VALUES ${chunk.map(() => `(${Array(COLUMNS).fill("?").join(", ")})`).join(", ")}`,
        )
        .bind(...values),
    );
  }
  const trims = [...new Set(attempts.map((a) => a.webhookId))].map((webhookId) =>
    db
      .prepare(`DELETE FROM webhook_deliveries WHERE webhook_id = ?1 AND id < (SELECT id FROM webhook_deliveries WHERE webhook_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)`)
      .bind(webhookId, KEPT_ATTEMPTS - 1),
  );
  await db.batch([...inserts, ...trims]);
}

/** A webhook's attempts, newest first, a page at a time: `before` is the last id of the previous page. */
export async function listAttempts(
  db: D1Database,
  webhookId: string,
  limit: number,
  before: number | null,
): Promise<{ attempts: Array<DeliveryAttempt & { id: number }>; nextBefore: number | null }> {
  const { results } = await db
    .prepare(
      `SELECT * FROM webhook_deliveries WHERE webhook_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
    )
    .bind(webhookId, before ?? Number.MAX_SAFE_INTEGER, limit + 1)
    .all<Row>();
  const rows = results.slice(0, limit);
  return {
    attempts: rows.map((row) => ({
      id: row.id,
      webhookId: row.webhook_id,
      eventId: row.event_id,
      eventType: row.event_type as EventType,
      docId: row.doc_id,
      attempt: row.attempt,
      status: row.status,
      error: row.error,
      durationMs: row.duration_ms,
      attemptedAt: row.attempted_at,
      outcome: row.outcome as DeliveryOutcome,
      nextAttemptAt: row.next_attempt_at,
    })),
    nextBefore: results.length > limit ? rows.at(-1)!.id : null,
  };
}
