import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { DeadLetter, EventMessage, QuireEvent } from "../../src/events/eventTypes";
import { DEFAULT_WEBHOOK_CONFIG, retryDelaySeconds, type WebhookConfig } from "../../src/webhooks/config";
import { handleBatch } from "../../src/webhooks/consumer";
import { listAttempts } from "../../src/webhooks/deliveryLog";
import { hmacSha256Hex } from "../../src/webhooks/signature";
import { createWebhook, deleteWebhook } from "../../src/webhooks/webhookStore";

const CONFIG: WebhookConfig = { ...DEFAULT_WEBHOOK_CONFIG, maxAttempts: 4, retryBaseSeconds: 10, retryMaxSeconds: 25, timeoutMs: 200 };

/** A receiver per URL: answers with the statuses given, in order (the last one repeats), and records every request. */
function receivers(script: Record<string, Array<number | "hang">>) {
  const requests: Array<{ url: string; headers: Headers; body: string }> = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const body = await request.text();
    requests.push({ url: request.url, headers: request.headers, body });
    const answers = script[request.url];
    const answer = answers.length > 1 ? answers.shift()! : answers[0];
    if (answer === "hang") {
      return new Promise<Response>((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)));
    }
    return new Response(answer === 204 ? null : "ok", { status: answer });
  }) as typeof fetch;
  return { fetcher, requests, to: (url: string) => requests.filter((r) => r.url === url) };
}

/** A queue that records what is sent to it. */
function fakeQueue<T>() {
  const sent: Array<{ body: T; delaySeconds?: number }> = [];
  const queue = {
    send: async (body: T, options?: QueueSendOptions) => void sent.push({ body, delaySeconds: options?.delaySeconds }),
    sendBatch: async (messages: Iterable<MessageSendRequest<T>>) => void sent.push(...[...messages].map((m) => ({ body: m.body, delaySeconds: m.delaySeconds }))),
  } as unknown as Queue<T>;
  return { queue, sent };
}

let counter = 0;
const newEvent = (type: QuireEvent["type"] = "document.updated"): QuireEvent => ({
  id: crypto.randomUUID(),
  type,
  docId: `doc-${++counter}`,
  occurredAt: new Date().toISOString(),
  seq: counter,
  sizeBytes: 100,
  lastEditor: "ada",
});

/** A batch as the queue delivers it, recording what the consumer does with each message. */
function messageBatch(messages: Array<{ body: EventMessage; attempts?: number }>) {
  const result = { acked: [] as string[], retried: [] as Array<{ id: string; delaySeconds?: number }> };
  const batch = {
    queue: "quire-events",
    messages: messages.map((m, i) => ({
      id: `m${i}`,
      timestamp: new Date(),
      attempts: m.attempts ?? 1,
      body: m.body,
      ack: () => result.acked.push(`m${i}`),
      retry: (options?: QueueRetryOptions) => result.retried.push({ id: `m${i}`, delaySeconds: options?.delaySeconds }),
    })),
    ackAll: () => {},
    retryAll: () => {},
  } as unknown as MessageBatch<EventMessage>;
  return { batch, result };
}

async function consume(messages: Array<{ body: EventMessage; attempts?: number }>, fetcher: typeof fetch, config = CONFIG, queue?: Queue<EventMessage>) {
  const events = fakeQueue<EventMessage>();
  const deadLetters = fakeQueue<DeadLetter | EventMessage>();
  const { batch, result } = messageBatch(messages);
  await handleBatch(batch, { env: { DB: env.DB, EVENTS: queue ?? events.queue, EVENTS_DLQ: deadLetters.queue }, config, fetch: fetcher });
  return { result, retries: events.sent, deadLetters: deadLetters.sent };
}

async function newWebhook(url: string, events?: QuireEvent["type"][]) {
  const secret = `secret-${crypto.randomUUID()}`;
  const webhook = (await createWebhook(env.DB, { url, events: events ?? ["document.updated", "document.deleted"], secret }))!;
  return { ...webhook, secret };
}

describe("the webhook consumer", () => {
  // Every webhook gets every event of its types: each test starts with none.
  afterEach(() => env.DB.prepare(`DELETE FROM webhooks`).run());

  it("POSTs each event, signed, to every webhook that wants its type, and to no other", async () => {
    const a = await newWebhook(`https://a.example/${crypto.randomUUID()}`);
    const b = await newWebhook(`https://b.example/${crypto.randomUUID()}`, ["snapshot.created"]);
    const { fetcher, to } = receivers({ [a.url]: [204], [b.url]: [200] });
    const event = newEvent();
    const { result, retries } = await consume([{ body: { kind: "event", event } }], fetcher);

    expect(result.acked).toEqual(["m0"]);
    expect(retries).toEqual([]);
    expect(to(b.url)).toHaveLength(0);
    const [request] = to(a.url);
    expect(JSON.parse(request.body)).toEqual(event);
    expect(request.headers.get("Content-Type")).toBe("application/json");
    expect(request.headers.get("Quire-Event-Id")).toBe(event.id);
    expect(request.headers.get("Quire-Event-Type")).toBe("document.updated");
    expect(request.headers.get("Quire-Delivery-Attempt")).toBe("1");
    const [, t, v1] = request.headers.get("Quire-Signature")!.match(/^t=(\d+),v1=([0-9a-f]{64})$/)!;
    expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(5);
    expect(v1).toBe(await hmacSha256Hex(a.secret, `${t}.${request.body}`));
    expect(v1).not.toBe(await hmacSha256Hex(b.secret, `${t}.${request.body}`));

    const { attempts } = await listAttempts(env.DB, a.id, 10, null);
    expect(attempts).toMatchObject([{ eventId: event.id, attempt: 1, status: 204, outcome: "delivered", nextAttemptAt: null }]);
  });

  it("retries a receiver that answered 500 on its own, with exponential backoff, and repeats nothing to the others", async () => {
    const healthy = await newWebhook(`https://ok.example/${crypto.randomUUID()}`);
    const failing = await newWebhook(`https://fails.example/${crypto.randomUUID()}`);
    const { fetcher, to } = receivers({ [healthy.url]: [200], [failing.url]: [500, 503, 200] });
    const event = newEvent();

    const first = await consume([{ body: { kind: "event", event } }], fetcher);
    expect(first.result.acked).toEqual(["m0"]);
    expect(first.retries).toEqual([{ body: { kind: "delivery", event, webhookId: failing.id, firstAttempt: 2 }, delaySeconds: CONFIG.retryBaseSeconds }]);

    // The queue redelivers the retry message: its 1st delivery is attempt 2, its 2nd attempt 3.
    const retry = first.retries[0].body;
    const second = await consume([{ body: retry, attempts: 1 }], fetcher);
    expect(second.result.retried).toEqual([{ id: "m0", delaySeconds: 2 * CONFIG.retryBaseSeconds }]);
    const third = await consume([{ body: retry, attempts: 2 }], fetcher);
    expect(third.result.acked).toEqual(["m0"]);

    expect(to(healthy.url)).toHaveLength(1);
    expect(to(failing.url).map((r) => r.headers.get("Quire-Delivery-Attempt"))).toEqual(["1", "2", "3"]);
    expect(new Set(to(failing.url).map((r) => r.headers.get("Quire-Event-Id")))).toEqual(new Set([event.id]));
    expect(new Set(to(failing.url).map((r) => r.body)).size).toBe(1);
    const { attempts } = await listAttempts(env.DB, failing.id, 10, null);
    expect(attempts.map((a) => [a.attempt, a.status, a.outcome])).toEqual([
      [3, 200, "delivered"],
      [2, 503, "retrying"],
      [1, 500, "retrying"],
    ]);
    expect(attempts[1].nextAttemptAt! - attempts[1].attemptedAt).toBeGreaterThanOrEqual(2 * CONFIG.retryBaseSeconds * 1000);
  });

  it("waits base × 2^(n-1) after the nth failure, never more than the maximum", () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelaySeconds(CONFIG, n))).toEqual([10, 20, 25, 25, 25]);
    expect([1, 2, 8, 9, 10].map((n) => retryDelaySeconds(DEFAULT_WEBHOOK_CONFIG, n))).toEqual([30, 60, 3600, 3600, 3600]);
  });

  it("counts a receiver that does not answer in time as a failure", async () => {
    const slow = await newWebhook(`https://slow.example/${crypto.randomUUID()}`);
    const { fetcher } = receivers({ [slow.url]: ["hang"] });
    const { retries } = await consume([{ body: { kind: "event", event: newEvent() } }], fetcher);
    expect(retries).toHaveLength(1);
    const { attempts } = await listAttempts(env.DB, slow.id, 10, null);
    expect(attempts).toMatchObject([{ status: null, outcome: "retrying", error: `no answer within ${CONFIG.timeoutMs} ms` }]);
  });

  it("does not follow redirects: a 3xx is a failed attempt", async () => {
    const moved = await newWebhook(`https://moved.example/${crypto.randomUUID()}`);
    const { fetcher } = receivers({ [moved.url]: [302] });
    const { retries } = await consume([{ body: { kind: "event", event: newEvent() } }], fetcher);
    expect(retries).toHaveLength(1);
  });

  it("moves a delivery to the dead-letter queue after its last attempt, and stops", async () => {
    const broken = await newWebhook(`https://broken.example/${crypto.randomUUID()}`);
    const { fetcher, to } = receivers({ [broken.url]: [500] });
    const event = newEvent();
    const retry: EventMessage = { kind: "delivery", event, webhookId: broken.id, firstAttempt: 2 };
    // Attempt 4 of 4: the queue's 3rd delivery of the retry message.
    const { result, deadLetters } = await consume([{ body: retry, attempts: 3 }], fetcher);
    expect(to(broken.url).map((r) => r.headers.get("Quire-Delivery-Attempt"))).toEqual(["4"]);
    expect(result.acked).toEqual(["m0"]);
    expect(result.retried).toEqual([]);
    expect(deadLetters).toEqual([{ body: { kind: "dead_letter", event, webhookId: broken.id, attempts: 4, lastStatus: 500, lastError: "HTTP 500" }, delaySeconds: undefined }]);
    const { attempts } = await listAttempts(env.DB, broken.id, 10, null);
    expect(attempts).toMatchObject([{ attempt: 4, status: 500, outcome: "dead_lettered", nextAttemptAt: null }]);

    // With a single attempt allowed, the first failure dead-letters at once.
    const { retries, deadLetters: atOnce } = await consume([{ body: { kind: "event", event: newEvent("document.deleted") } }], fetcher, { ...CONFIG, maxAttempts: 1 });
    expect(retries).toEqual([]);
    expect(atOnce).toHaveLength(1);
  });

  it("drops queued retries of a deleted webhook", async () => {
    const gone = await newWebhook(`https://gone.example/${crypto.randomUUID()}`);
    await deleteWebhook(env.DB, gone.id);
    const { fetcher, requests } = receivers({});
    const { result } = await consume([{ body: { kind: "delivery", event: newEvent(), webhookId: gone.id, firstAttempt: 2 }, attempts: 1 }], fetcher);
    expect(result.acked).toEqual(["m0"]);
    expect(requests).toEqual([]);
  });

  it("retries the whole message with backoff when the queue refuses the retries it sends", async () => {
    const failing = await newWebhook(`https://down.example/${crypto.randomUUID()}`);
    const { fetcher } = receivers({ [failing.url]: [500] });
    const refusing = { sendBatch: () => Promise.reject(new Error("queue unavailable")) } as unknown as Queue<EventMessage>;
    const { result } = await consume([{ body: { kind: "event", event: newEvent() }, attempts: 2 }], fetcher, CONFIG, refusing);
    expect(result.acked).toEqual([]);
    expect(result.retried).toEqual([{ id: "m0", delaySeconds: retryDelaySeconds(CONFIG, 2) }]);
  });

  it("acknowledges and drops a message that is not an event", async () => {
    const { fetcher, requests } = receivers({});
    const { result } = await consume([{ body: { kind: "nonsense" } as unknown as EventMessage }], fetcher);
    expect(result.acked).toEqual(["m0"]);
    expect(requests).toEqual([]);
  });
});
