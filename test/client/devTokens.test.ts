// The local-development token endpoint behind the demo page: off unless DEV_MODE and a loopback host.
import { jwtVerify } from "jose";
import { describe, expect, test } from "vitest";
import { type DevEnv, issueDevToken } from "../../src/dev/devTokens";
import { HttpError } from "../../src/http/errors";

const SECRET = "dev-auth-secret";

function call(url: string, env: Partial<DevEnv>, docId = "demo-doc", clientAddress: string | null = "127.0.0.1"): Promise<Response> {
  const headers = clientAddress === null ? {} : { "CF-Connecting-IP": clientAddress };
  const request = Object.assign(new Request(url, { method: "POST", headers }), { params: { docId } });
  return issueDevToken(request, { AUTH_SECRET: SECRET, ...env } as DevEnv);
}

describe("POST /dev/docs/:docId/token", () => {
  test("mints a write token for the document on localhost when DEV_MODE is true", async () => {
    const response = await call("http://localhost:8787/dev/docs/demo-doc/token", { DEV_MODE: "true" });
    const { token } = (await response.json()) as { token: string };
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET));
    expect(payload).toMatchObject({ doc: "demo-doc", access: "write" });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(15 * 60);
  });

  test("does not exist without DEV_MODE, as in production", async () => {
    await expect(call("http://localhost:8787/dev/docs/demo-doc/token", {})).rejects.toMatchObject({ status: 404 });
    await expect(call("http://localhost:8787/dev/docs/demo-doc/token", { DEV_MODE: "1" })).rejects.toBeInstanceOf(HttpError);
  });

  test("does not exist on a public host even with DEV_MODE set by mistake", async () => {
    await expect(call("https://quire.example.com/dev/docs/demo-doc/token", { DEV_MODE: "true" })).rejects.toMatchObject({ status: 404 });
  });

  test("does not exist for a client on the network, even with a loopback Host header", async () => {
    await expect(call("http://localhost:8787/dev/docs/demo-doc/token", { DEV_MODE: "true" }, "demo-doc", "192.0.2.7")).rejects.toMatchObject({ status: 404 });
    await expect(call("http://localhost:8787/dev/docs/demo-doc/token", { DEV_MODE: "true" }, "demo-doc", null)).rejects.toMatchObject({ status: 404 });
  });

  test("refuses an invalid document id", async () => {
    await expect(call("http://127.0.0.1:8787/dev/docs/x/token", { DEV_MODE: "true" }, "no spaces allowed")).rejects.toMatchObject({ status: 400 });
  });
});
