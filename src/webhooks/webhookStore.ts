// The `webhooks` table in D1 (migrations/0002_webhooks.sql): the receivers of change events.
// Secrets are read only by the queue consumer, to sign deliveries; listings never include them.
import { type EventType, isEventType } from "../events/eventTypes";

/** A webhook as the admin API lists it. */
export interface Webhook {
  id: string;
  url: string;
  events: EventType[];
  createdAt: number;
}

export interface WebhookWithSecret extends Webhook {
  secret: string;
}

/** At most this many webhooks: every event is delivered to each, from one consumer invocation. */
export const MAX_WEBHOOKS = 100;

interface Row {
  id: string;
  url: string;
  events: string;
  secret?: string;
  created_at: number;
}

const fromRow = (row: Row): Webhook => ({
  id: row.id,
  url: row.url,
  events: (JSON.parse(row.events) as unknown[]).filter(isEventType),
  createdAt: row.created_at,
});

/** Adds a webhook; null when there are MAX_WEBHOOKS already (checked in the same statement). */
export async function createWebhook(db: D1Database, init: { url: string; events: EventType[]; secret: string }, now = Date.now()): Promise<Webhook | null> {
  const webhook: Webhook = { id: crypto.randomUUID(), url: init.url, events: init.events, createdAt: now };
  const result = await db
    .prepare(`INSERT INTO webhooks (id, url, events, secret, created_at) SELECT ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM webhooks) < ?`)
    .bind(webhook.id, webhook.url, JSON.stringify(webhook.events), init.secret, now, MAX_WEBHOOKS)
    .run();
  return result.meta.changes > 0 ? webhook : null;
}

/** Every webhook, oldest first, without secrets. */
export async function listWebhooks(db: D1Database): Promise<Webhook[]> {
  const { results } = await db.prepare(`SELECT id, url, events, created_at FROM webhooks ORDER BY created_at, id`).all<Row>();
  return results.map(fromRow);
}

export async function getWebhook(db: D1Database, id: string): Promise<Webhook | null> {
  const row = await db.prepare(`SELECT id, url, events, created_at FROM webhooks WHERE id = ?`).bind(id).first<Row>();
  return row ? fromRow(row) : null;
}

/** Every webhook with its secret, for signing deliveries. */
export async function loadWebhooksForDelivery(db: D1Database): Promise<WebhookWithSecret[]> {
  const { results } = await db.prepare(`SELECT id, url, events, secret, created_at FROM webhooks`).all<Row>();
  return results.map((row) => ({ ...fromRow(row), secret: row.secret! }));
}

/** Removes a webhook and its delivery log; returns whether it existed. Retries already queued find it gone and stop. */
export async function deleteWebhook(db: D1Database, id: string): Promise<boolean> {
  const [removed] = await db.batch([
    db.prepare(`DELETE FROM webhooks WHERE id = ?`).bind(id),
    db.prepare(`DELETE FROM webhook_deliveries WHERE webhook_id = ?`).bind(id),
  ]);
  return removed.meta.changes > 0;
}
