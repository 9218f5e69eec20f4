// One delivery attempt: a signed JSON POST of an event to a webhook, with a timeout. Any 2xx
// answer delivers it; anything else (another status, a redirect, a timeout, no connection) fails.
import type { QuireEvent } from "../events/eventTypes";
import { signatureHeader } from "./signature";
import type { WebhookWithSecret } from "./webhookStore";

export interface AttemptResult {
  ok: boolean;
  /** The receiver's status; null when it did not answer. */
  status: number | null;
  error: string | null;
  durationMs: number;
}

export const USER_AGENT = "Quire-Webhooks/1";

/** The exact body sent for an event, the same on every attempt. */
export const deliveryBody = (event: QuireEvent) => JSON.stringify(event);

/** POSTs `event` to `webhook`, signed now, and reports how it went. Never throws. */
export async function attemptDelivery(
  webhook: WebhookWithSecret,
  event: QuireEvent,
  attempt: number,
  timeoutMs: number,
  fetcher: typeof fetch = fetch,
): Promise<AttemptResult> {
  const started = Date.now();
  const body = deliveryBody(event);
  try {
    const response = await fetcher(webhook.url, {
      method: "POST",
      body,
      // Redirects are not followed: a receiver that moved must have its webhook updated.
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Quire-Event-Id": event.id,
        "Quire-Event-Type": event.type,
        "Quire-Delivery-Attempt": String(attempt),
        "Quire-Signature": await signatureHeader(webhook.secret, body, Math.floor(started / 1000)),
      },
    });
    await response.body?.cancel();
    const ok = response.status >= 200 && response.status < 300;
    return { ok, status: response.status, error: ok ? null : `HTTP ${response.status}`, durationMs: Date.now() - started };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    const error_ = timedOut ? `no answer within ${timeoutMs} ms` : `request failed: ${error instanceof Error ? error.message : String(error)}`;
    return { ok: false, status: null, error: error_.slice(0, 500), durationMs: Date.now() - started };
  }
}
