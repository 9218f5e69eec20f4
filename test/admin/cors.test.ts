import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { admin } from "./adminClient";

const ORIGIN = "https://ops.example";

function call(method: string, path: string, headers: Record<string, string>, allowlist: string | undefined): Promise<Response> {
  const request = new Request(`http://quire.test${path}`, { method, headers }) as Request<unknown, IncomingRequestCfProperties>;
  return Promise.resolve(worker.fetch(request, { ...env, ADMIN_CORS_ORIGINS: allowlist }, createExecutionContext()));
}

const preflight = (allowlist: string | undefined, origin = ORIGIN) =>
  call("OPTIONS", "/v1/docs", { Origin: origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization" }, allowlist);

describe("CORS for the admin API", () => {
  it("is off by default: no CORS headers, preflights refused", async () => {
    expect(env.ADMIN_CORS_ORIGINS).toBe("");
    const response = await admin("GET", "/v1/docs", { headers: { Origin: ORIGIN } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
    const refused = await preflight(env.ADMIN_CORS_ORIGINS);
    expect(refused.status).toBe(403);
    expect(refused.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("answers a preflight from an allowed origin without authentication", async () => {
    const response = await preflight(`https://other.example, ${ORIGIN}`);
    expect(response.status).toBe(204);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(ORIGIN);
    expect(response.headers.get("Access-Control-Allow-Headers")).toContain("Authorization");
    expect(response.headers.get("Access-Control-Allow-Methods")).toContain("PATCH");
  });

  it("refuses a preflight from an origin not on the list", async () => {
    const response = await preflight(ORIGIN, "https://evil.example");
    expect(response.status).toBe(403);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("adds the origin to answers, errors included, and still requires the admin token", async () => {
    const denied = await call("GET", "/v1/docs", { Origin: ORIGIN }, ORIGIN);
    expect(denied.status).toBe(401);
    expect(denied.headers.get("Access-Control-Allow-Origin")).toBe(ORIGIN);
    expect(denied.headers.get("Vary")).toContain("Origin");
    const allowed = await call("GET", "/v1/docs", { Origin: ORIGIN, Authorization: `Bearer ${env.ADMIN_TOKEN}` }, "*");
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe(ORIGIN);
  });

  it("leaves routes outside /v1 alone", async () => {
    const response = await call("GET", "/health", { Origin: ORIGIN }, "*");
    expect(response.status).toBe(200);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});
