// /v1/webhooks: register, list and remove the receivers of change events, and read their delivery log.
import { requireAdmin } from "../auth/adminAuth";
import type { Env } from "../env";
import { EVENT_TYPES, type EventType, isEventType } from "../events/eventTypes";
import { readJson } from "../http/body";
import { HttpError } from "../http/errors";
import { isMetadata } from "../metadata/documentRecord";
import { type DeliveryAttempt, listAttempts } from "../webhooks/deliveryLog";
import { generateSecret } from "../webhooks/signature";
import { checkWebhookUrl } from "../webhooks/urlPolicy";
import { createWebhook, deleteWebhook, getWebhook, listWebhooks, MAX_WEBHOOKS, type Webhook } from "../webhooks/webhookStore";
import type { AdminRequest } from "./routes";

export const MIN_SECRET_LENGTH = 16;
export const MAX_SECRET_LENGTH = 256;
const FIELDS = new Set(["url", "events", "secret"]);
export const DEFAULT_DELIVERY_LIMIT = 50;
export const MAX_DELIVERY_LIMIT = 500;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const view = (webhook: Webhook) => ({ id: webhook.id, url: webhook.url, events: webhook.events, createdAt: iso(webhook.createdAt) });

/** `POST /v1/webhooks`: 201 with the webhook and its secret, which is never shown again. */
export async function postWebhook(request: AdminRequest, env: Env): Promise<Response> {
  await requireAdmin(request, env.ADMIN_TOKEN);
  const body = await readJson(request);
  if (!isMetadata(body)) throw new HttpError(400, "invalid_body", 'Expected a JSON object { "url", "events"?, "secret"? }.');
  const unknown = Object.keys(body).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) throw new HttpError(400, "invalid_body", `Unknown field(s): ${unknown.join(", ")}. Expected "url", "events" and "secret".`);
  const url = checkWebhookUrl(body.url, env.DEV_MODE === "true");
  const events = parseEvents(body.events);
  const secret = body.secret === undefined ? generateSecret() : parseSecret(body.secret);
  const webhook = await createWebhook(env.DB, { url, events, secret });
  if (!webhook) throw new HttpError(409, "too_many_webhooks", `There are already ${MAX_WEBHOOKS} webhooks; delete one first.`);
  return Response.json({ ...view(webhook), secret }, { status: 201 });
}

/** Event types to deliver: every type when omitted; otherwise a non-empty list of known ones. */
function parseEvents(value: unknown): EventType[] {
  if (value === undefined) return [...EVENT_TYPES];
  if (!Array.isArray(value) || value.length === 0 || !value.every(isEventType)) {
    throw new HttpError(400, "invalid_events", `\`events\` must be a non-empty array of: ${EVENT_TYPES.join(", ")}.`);
  }
  return EVENT_TYPES.filter((type) => value.includes(type));
}

function parseSecret(value: unknown): string {
  if (typeof value !== "string" || value.length < MIN_SECRET_LENGTH || value.length > MAX_SECRET_LENGTH || !/^[\x21-\x7e]+$/.test(value)) {
    throw new HttpError(400, "invalid_secret", `\`secret\` must be ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH} printable ASCII characters without spaces.`);
  }
  return value;
}

/** `GET /v1/webhooks`: every webhook, oldest first, without secrets. */
export async function getWebhooks(request: AdminRequest, env: Env): Promise<Response> {
  await requireAdmin(request, env.ADMIN_TOKEN);
  return Response.json({ webhooks: (await listWebhooks(env.DB)).map(view) });
}

/** `DELETE /v1/webhooks/:webhookId`: 204; deliveries already queued for it are dropped. */
export async function removeWebhook(request: AdminRequest, env: Env): Promise<Response> {
  await requireAdmin(request, env.ADMIN_TOKEN);
  if (!(await deleteWebhook(env.DB, request.params.webhookId))) throw notFound(request.params.webhookId);
  return new Response(null, { status: 204 });
}

/** `GET /v1/webhooks/:webhookId/deliveries`: recent attempts, newest first, a page at a time. */
export async function getDeliveries(request: AdminRequest, env: Env): Promise<Response> {
  await requireAdmin(request, env.ADMIN_TOKEN);
  const { limit, before } = parseDeliveryQuery(new URL(request.url).searchParams);
  const webhookId = request.params.webhookId;
  if (!(await getWebhook(env.DB, webhookId))) throw notFound(webhookId);
  const page = await listAttempts(env.DB, webhookId, limit, before);
  return Response.json({ deliveries: page.attempts.map(deliveryView), nextCursor: page.nextBefore === null ? null : String(page.nextBefore) });
}

function parseDeliveryQuery(params: URLSearchParams): { limit: number; before: number | null } {
  const limitText = params.get("limit");
  const limit = limitText === null ? DEFAULT_DELIVERY_LIMIT : Number(limitText);
  if (limitText !== null && (!/^\d+$/.test(limitText) || limit < 1 || limit > MAX_DELIVERY_LIMIT)) {
    throw new HttpError(400, "invalid_limit", `\`limit\` must be an integer from 1 to ${MAX_DELIVERY_LIMIT}.`);
  }
  const cursor = params.get("cursor");
  if (cursor !== null && !/^\d{1,15}$/.test(cursor)) throw new HttpError(400, "invalid_cursor", "`cursor` must be a `nextCursor` from this listing.");
  return { limit, before: cursor === null ? null : Number(cursor) };
}

const deliveryView = (attempt: DeliveryAttempt & { id: number }) => ({
  id: attempt.id,
  eventId: attempt.eventId,
  eventType: attempt.eventType,
  docId: attempt.docId,
  attempt: attempt.attempt,
  status: attempt.status,
  error: attempt.error,
  durationMs: attempt.durationMs,
  attemptedAt: iso(attempt.attemptedAt),
  outcome: attempt.outcome,
  nextAttemptAt: iso(attempt.nextAttemptAt),
});

const notFound = (id: string) => new HttpError(404, "not_found", `No webhook "${id}".`);
