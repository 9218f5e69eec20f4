// Webhook delivery settings, read from the Worker's `vars` (wrangler.jsonc) with defaults.

export interface WebhookConfig {
  /** Attempts per delivery, the first included; after the last failed one it goes to the dead-letter queue. */
  maxAttempts: number;
  /** Wait after the first failed attempt; it doubles after each further one... */
  retryBaseSeconds: number;
  /** ...up to this. */
  retryMaxSeconds: number;
  /** A receiver that has not answered after this long has failed the attempt. */
  timeoutMs: number;
}

/** The variables, as strings or numbers, under the names they have in `vars`. */
export interface WebhookVars {
  WEBHOOK_MAX_ATTEMPTS?: string | number;
  WEBHOOK_RETRY_BASE_SECONDS?: string | number;
  WEBHOOK_RETRY_MAX_SECONDS?: string | number;
  WEBHOOK_TIMEOUT_SECONDS?: string | number;
}

export const DEFAULT_WEBHOOK_CONFIG: Readonly<WebhookConfig> = {
  maxAttempts: 10,
  retryBaseSeconds: 30,
  retryMaxSeconds: 3600,
  timeoutMs: 10_000,
};

/** Longest delay Cloudflare Queues accepts for a message (12 hours). */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;

/** Parses the settings; a missing, non-numeric or out-of-range value falls back to its default. */
export function readWebhookConfig(vars: WebhookVars): WebhookConfig {
  const num = (value: string | number | undefined, fallback: number, min: number) => {
    const parsed = typeof value === "number" ? value : value === undefined || value === "" ? NaN : Number(value);
    return Number.isFinite(parsed) && parsed >= min ? parsed : fallback;
  };
  const d = DEFAULT_WEBHOOK_CONFIG;
  return {
    maxAttempts: Math.floor(num(vars.WEBHOOK_MAX_ATTEMPTS, d.maxAttempts, 1)),
    retryBaseSeconds: Math.min(Math.floor(num(vars.WEBHOOK_RETRY_BASE_SECONDS, d.retryBaseSeconds, 0)), MAX_QUEUE_DELAY_SECONDS),
    retryMaxSeconds: Math.min(Math.floor(num(vars.WEBHOOK_RETRY_MAX_SECONDS, d.retryMaxSeconds, 0)), MAX_QUEUE_DELAY_SECONDS),
    timeoutMs: num(vars.WEBHOOK_TIMEOUT_SECONDS, d.timeoutMs / 1000, 0.001) * 1000,
  };
}

/** Seconds to wait after attempt `attempt` (1 for the first) failed: exponential, capped. */
export function retryDelaySeconds(config: WebhookConfig, attempt: number): number {
  return Math.min(config.retryBaseSeconds * 2 ** Math.max(0, attempt - 1), config.retryMaxSeconds);
}
