// The Worker's queue consumer: delivers change events to webhooks. An event message is POSTed to
// every webhook that wants its type at once; each delivery that fails becomes a message of its own,
// retried by the queue with exponential backoff, so one slow or broken receiver never delays or
// repeats the others. After WEBHOOK_MAX_ATTEMPTS a delivery moves to the dead-letter queue.
// Every attempt is logged in D1 (GET /v1/webhooks/:id/deliveries).
import type { Env } from "../env";
import type { DeadLetter, EventMessage, QuireEvent } from "../events/eventTypes";
import { readWebhookConfig, retryDelaySeconds, type WebhookConfig } from "./config";
import { attemptDelivery, type AttemptResult } from "./delivery";
import { type DeliveryAttempt, recordAttempts } from "./deliveryLog";
import { loadWebhooksForDelivery, type WebhookWithSecret } from "./webhookStore";

type DeliveryMessage = Extract<EventMessage, { kind: "delivery" }>;

/** What one consumer invocation needs; tests pass their own `fetch` and queues. */
export interface ConsumerContext {
  env: Pick<Env, "DB" | "EVENTS" | "EVENTS_DLQ">;
  config: WebhookConfig;
  fetch: typeof fetch;
  now?: () => number;
}

/** The `queue()` handler: handles every message of the batch, then logs the attempts. */
export async function consumeEvents(batch: MessageBatch<EventMessage>, env: Env, fetcher: typeof fetch = fetch): Promise<void> {
  await handleBatch(batch, { env, config: readWebhookConfig(env), fetch: fetcher });
}

export async function handleBatch(batch: MessageBatch<EventMessage>, context: ConsumerContext): Promise<void> {
  let webhooks: WebhookWithSecret[];
  try {
    webhooks = await loadWebhooksForDelivery(context.env.DB);
  } catch (error) {
    console.error("webhooks: could not read the webhooks; the batch is retried", error);
    for (const message of batch.messages) message.retry({ delaySeconds: retryDelaySeconds(context.config, message.attempts) });
    return;
  }
  const attempts: DeliveryAttempt[] = [];
  await Promise.all(batch.messages.map((message) => handleMessage(message, webhooks, context, attempts)));
  // The deliveries have happened whatever becomes of their log.
  await recordAttempts(context.env.DB, attempts).catch((error) => console.error("webhooks: could not log delivery attempts", error));
}

/** What becomes of a message: acknowledged, or delivered again after a delay. */
type Disposal = { retryInSeconds: number } | null;

async function handleMessage(message: Message<EventMessage>, webhooks: WebhookWithSecret[], context: ConsumerContext, log: DeliveryAttempt[]): Promise<void> {
  const body = message.body;
  try {
    let disposal: Disposal = null;
    if (body?.kind === "event" && body.event) await fanOut(body.event, webhooks, context, log);
    else if (body?.kind === "delivery" && body.event) disposal = await redeliver(message as Message<DeliveryMessage>, webhooks, context, log);
    else console.error("webhooks: dropping a message that is not an event", { id: message.id });
    if (disposal) message.retry({ delaySeconds: disposal.retryInSeconds });
    else message.ack();
  } catch (error) {
    // Only the queue or D1 failing lands here; the whole message is tried again later.
    console.error("webhooks: handling a message failed; it is retried", { id: message.id, error });
    message.retry({ delaySeconds: retryDelaySeconds(context.config, message.attempts) });
  }
}

/** First attempts to every subscriber; failures are queued as delivery messages of their own. */
async function fanOut(event: QuireEvent, webhooks: WebhookWithSecret[], context: ConsumerContext, log: DeliveryAttempt[]): Promise<void> {
  const targets = webhooks.filter((webhook) => webhook.events.includes(event.type));
  const results = await Promise.all(targets.map((webhook) => attemptDelivery(webhook, event, 1, context.config.timeoutMs, context.fetch)));
  const retries: MessageSendRequest<EventMessage>[] = [];
  const deadLetters: DeadLetter[] = [];
  targets.forEach((webhook, i) => {
    const next = afterAttempt(results[i], 1, context, webhook, event, log);
    if (next === "retry") {
      const body: DeliveryMessage = { kind: "delivery", event, webhookId: webhook.id, firstAttempt: 2 };
      retries.push({ body, contentType: "json", delaySeconds: retryDelaySeconds(context.config, 1) });
    }
    if (next === "dead_letter") deadLetters.push(deadLetterOf(event, webhook.id, 1, results[i]));
  });
  if (retries.length > 0) await context.env.EVENTS!.sendBatch(retries);
  await deadLetter(deadLetters, context);
}

/** A retried delivery to one webhook: the queue redelivers it until it succeeds or runs out of attempts. */
async function redeliver(message: Message<DeliveryMessage>, webhooks: WebhookWithSecret[], context: ConsumerContext, log: DeliveryAttempt[]): Promise<Disposal> {
  const { event, webhookId, firstAttempt } = message.body;
  const webhook = webhooks.find((candidate) => candidate.id === webhookId);
  if (!webhook || !webhook.events.includes(event.type)) return null; // deleted since: nothing to deliver to
  const attempt = firstAttempt + message.attempts - 1;
  const result = await attemptDelivery(webhook, event, attempt, context.config.timeoutMs, context.fetch);
  const next = afterAttempt(result, attempt, context, webhook, event, log);
  if (next === "retry") return { retryInSeconds: retryDelaySeconds(context.config, attempt) };
  if (next === "dead_letter") await deadLetter([deadLetterOf(event, webhook.id, attempt, result)], context);
  return null;
}

/** Logs an attempt and decides what follows it. */
function afterAttempt(
  result: AttemptResult,
  attempt: number,
  context: ConsumerContext,
  webhook: WebhookWithSecret,
  event: QuireEvent,
  log: DeliveryAttempt[],
): "done" | "retry" | "dead_letter" {
  const now = context.now?.() ?? Date.now();
  const next = result.ok ? "done" : attempt >= context.config.maxAttempts ? "dead_letter" : "retry";
  log.push({
    webhookId: webhook.id,
    eventId: event.id,
    eventType: event.type,
    docId: event.docId,
    attempt,
    status: result.status,
    error: result.error,
    durationMs: result.durationMs,
    attemptedAt: now - result.durationMs,
    outcome: next === "done" ? "delivered" : next === "retry" ? "retrying" : "dead_lettered",
    nextAttemptAt: next === "retry" ? now + retryDelaySeconds(context.config, attempt) * 1000 : null,
  });
  if (!result.ok) {
    // The webhook's id, never its URL (it may hold a token) or its secret.
    console.warn("webhooks: delivery failed", { webhookId: webhook.id, eventId: event.id, attempt, status: result.status, error: result.error, next });
  }
  return next;
}

const deadLetterOf = (event: QuireEvent, webhookId: string, attempts: number, last: AttemptResult): DeadLetter => ({
  kind: "dead_letter",
  event,
  webhookId,
  attempts,
  lastStatus: last.status,
  lastError: last.error,
});

/** Moves deliveries that ran out of attempts to the dead-letter queue, where they wait for an operator. */
async function deadLetter(letters: DeadLetter[], context: ConsumerContext): Promise<void> {
  if (letters.length === 0) return;
  for (const letter of letters) console.error("webhooks: delivery dead-lettered", { webhookId: letter.webhookId, eventId: letter.event.id, attempts: letter.attempts });
  if (context.env.EVENTS_DLQ) await context.env.EVENTS_DLQ.sendBatch(letters.map((body) => ({ body, contentType: "json" as const })));
}
