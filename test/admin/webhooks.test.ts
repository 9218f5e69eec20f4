import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../../src/events/eventTypes";
import worker from "../../src/index";
import { recordAttempts } from "../../src/webhooks/deliveryLog";
import { MAX_WEBHOOKS } from "../../src/webhooks/webhookStore";
import { admin, adminJson, errorCode } from "./adminClient";

interface WebhookCreated {
  id: string;
  url: string;
  events: string[];
  secret: string;
  createdAt: string;
}

/** Calls the Worker with a different configuration (DEV_MODE on or off). */
function callWith(overrides: Partial<typeof env>, method: string, path: string, body?: unknown): Promise<Response> {
  const request = new Request(`http://quire.test${path}`, {
    method,
    headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, { ...env, ...overrides }, createExecutionContext());
}

describe("/v1/webhooks", () => {
  afterEach(() => env.DB.prepare(`DELETE FROM webhooks`).run());

  it("creates a webhook for every event type with a generated secret, shown only in the creation answer", async () => {
    const created = await adminJson<WebhookCreated>("POST", "/v1/webhooks", 201, { body: { url: "https://receiver.example/quire?key=1" } });
    expect(created).toMatchObject({ url: "https://receiver.example/quire?key=1", events: [...EVENT_TYPES] });
    expect(created.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(Date.parse(created.createdAt)).toBeGreaterThan(Date.now() - 60_000);

    const listing = await admin("GET", "/v1/webhooks");
    const text = await listing.text();
    expect(text).not.toContain(created.secret);
    expect(JSON.parse(text)).toEqual({ webhooks: [{ id: created.id, url: created.url, events: created.events, createdAt: created.createdAt }] });
  });

  it("keeps a given secret and event list (in a fixed order, without duplicates)", async () => {
    const secret = "a-secret-of-my-own-choosing";
    const created = await adminJson<WebhookCreated>("POST", "/v1/webhooks", 201, {
      body: { url: "https://receiver.example/a", events: ["snapshot.created", "document.updated", "snapshot.created"], secret },
    });
    expect(created.secret).toBe(secret);
    expect(created.events).toEqual(["document.updated", "snapshot.created"]);
  });

  it("generates a different secret for each webhook", async () => {
    const a = await adminJson<WebhookCreated>("POST", "/v1/webhooks", 201, { body: { url: "https://receiver.example/a" } });
    const b = await adminJson<WebhookCreated>("POST", "/v1/webhooks", 201, { body: { url: "https://receiver.example/b" } });
    expect(a.secret).not.toBe(b.secret);
    expect(a.id).not.toBe(b.id);
  });

  it.each([
    ["a missing url", {}, "invalid_url"],
    ["a relative url", { url: "/hook" }, "invalid_url"],
    ["plain http", { url: "http://receiver.example/hook" }, "invalid_url"],
    ["credentials in the url", { url: "https://user:pass@receiver.example/hook" }, "invalid_url"],
    ["another scheme", { url: "ftp://receiver.example/hook" }, "invalid_url"],
    ["an unknown event type", { url: "https://r.example/", events: ["document.renamed"] }, "invalid_events"],
    ["an empty event list", { url: "https://r.example/", events: [] }, "invalid_events"],
    ["events that are not a list", { url: "https://r.example/", events: "document.updated" }, "invalid_events"],
    ["a short secret", { url: "https://r.example/", secret: "short" }, "invalid_secret"],
    ["a secret with spaces", { url: "https://r.example/", secret: "a secret with spaces in it" }, "invalid_secret"],
    ["an unknown field", { url: "https://r.example/", event: ["document.updated"] }, "invalid_body"],
    ["a body that is not an object", ["https://r.example/"], "invalid_body"],
  ])("refuses %s with a JSON 400", async (_, body, code) => {
    expect(await errorCode(await admin("POST", "/v1/webhooks", { body }), 400)).toBe(code);
  });

  it("refuses a body that is not JSON", async () => {
    expect(await errorCode(await admin("POST", "/v1/webhooks", { body: "{ url", headers: { "Content-Type": "application/json" } }), 400)).toBe("invalid_json");
  });

  it("accepts http://localhost and http://127.0.0.1 only in local development (DEV_MODE=true)", async () => {
    for (const url of ["http://localhost:9000/hook", "http://127.0.0.1:9000/hook"]) {
      const refused = await callWith({ DEV_MODE: undefined }, "POST", "/v1/webhooks", { url });
      expect(await errorCode(refused, 400)).toBe("invalid_url");
      expect((await callWith({ DEV_MODE: "true" }, "POST", "/v1/webhooks", { url })).status).toBe(201);
    }
    for (const url of ["http://receiver.example/hook", "http://10.0.0.1/hook", "http://[::1]/hook"]) {
      expect(await errorCode(await callWith({ DEV_MODE: "true" }, "POST", "/v1/webhooks", { url }), 400)).toBe("invalid_url");
    }
  });

  it("deletes a webhook with its delivery log; a second delete is a 404", async () => {
    const { id } = await adminJson<WebhookCreated>("POST", "/v1/webhooks", 201, { body: { url: "https://receiver.example/a" } });
    const response = await admin("DELETE", `/v1/webhooks/${id}`);
    expect(response.status).toBe(204);
    expect(await adminJson("GET", "/v1/webhooks", 200)).toEqual({ webhooks: [] });
    expect(await errorCode(await admin("DELETE", `/v1/webhooks/${id}`), 404)).toBe("not_found");
    expect(await errorCode(await admin("GET", `/v1/webhooks/${id}/deliveries`), 404)).toBe("not_found");
  });

  it("lists delivery attempts newest first, a page at a time, without the secret", async () => {
    const hook = await adminJson<WebhookCreated>("POST", "/v1/webhooks", 201, { body: { url: "https://receiver.example/a" } });
    const now = Date.now();
    await recordAttempts(
      env.DB,
      [1, 2, 3].map((attempt) => ({
        webhookId: hook.id,
        eventId: "event-1",
        eventType: "document.updated" as const,
        docId: "doc",
        attempt,
        status: attempt === 3 ? 200 : 500,
        error: attempt === 3 ? null : "HTTP 500",
        durationMs: 12,
        attemptedAt: now + attempt,
        outcome: attempt === 3 ? ("delivered" as const) : ("retrying" as const),
        nextAttemptAt: attempt === 3 ? null : now + attempt * 1000,
      })),
    );
    const first = await adminJson<{ deliveries: Array<{ attempt: number; status: number; outcome: string }>; nextCursor: string }>(
      "GET",
      `/v1/webhooks/${hook.id}/deliveries?limit=2`,
      200,
    );
    expect(first.deliveries.map((d) => [d.attempt, d.status, d.outcome])).toEqual([
      [3, 200, "delivered"],
      [2, 500, "retrying"],
    ]);
    const second = await adminJson<{ deliveries: Array<{ attempt: number }>; nextCursor: string | null }>(
      "GET",
      `/v1/webhooks/${hook.id}/deliveries?limit=2&cursor=${first.nextCursor}`,
      200,
    );
    expect(second.deliveries.map((d) => d.attempt)).toEqual([1]);
    expect(second.nextCursor).toBeNull();
    expect(JSON.stringify(first)).not.toContain(hook.secret);
    expect(await errorCode(await admin("GET", `/v1/webhooks/${hook.id}/deliveries?limit=0`), 400)).toBe("invalid_limit");
    expect(await errorCode(await admin("GET", `/v1/webhooks/${hook.id}/deliveries?cursor=abc`), 400)).toBe("invalid_cursor");
  });

  it(`refuses more than ${MAX_WEBHOOKS} webhooks with a 409`, async () => {
    await env.DB.batch(
      Array.from({ length: MAX_WEBHOOKS }, (_, i) =>
        env.DB.prepare(`INSERT INTO webhooks (id, url, events, secret, created_at) VALUES (?, ?, '[]', 'secret', 0)`).bind(`filler-${i}`, `https://r.example/${i}`),
      ),
    );
    expect(await errorCode(await admin("POST", "/v1/webhooks", { body: { url: "https://receiver.example/one-too-many" } }), 409)).toBe("too_many_webhooks");
  });

  it("needs the admin token", async () => {
    for (const [method, path] of [["POST", "/v1/webhooks"], ["GET", "/v1/webhooks"], ["DELETE", "/v1/webhooks/x"], ["GET", "/v1/webhooks/x/deliveries"]]) {
      expect(await errorCode(await admin(method, path, { auth: null, body: method === "POST" ? { url: "https://r.example/" } : undefined }), 401)).toBe("unauthorized");
    }
    expect(await adminJson("GET", "/v1/webhooks", 200)).toEqual({ webhooks: [] });
  });
});
