import { env, exports } from "cloudflare:workers";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { signToken } from "../../src/auth/tokens";
import { tokenFor, uniqueDocId } from "../helpers/workerClient";

const upgrade = (path: string) => exports.default.fetch(`http://quire.test${path}`, { headers: { Upgrade: "websocket" } });

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.webSocket).toBeFalsy();
  expect(await response.json()).toMatchObject({ error: { code, message: expect.any(String) } });
}

describe("WebSocket upgrade authentication", () => {
  it("accepts a valid token for the document", async () => {
    const docId = uniqueDocId("auth-ok");
    const response = await upgrade(`/ws/${docId}?token=${await tokenFor(docId)}`);
    expect(response.status).toBe(101);
    response.webSocket!.accept();
    response.webSocket!.close();
  });

  it("accepts a prefix token for any document under the prefix, and no other", async () => {
    const { token } = await signToken(env.AUTH_SECRET!, { sub: "u", doc: "team-a:*", access: "write" }, 60);
    const ok = await upgrade(`/ws/team-a:notes?token=${token}`);
    expect(ok.status).toBe(101);
    ok.webSocket!.accept();
    ok.webSocket!.close();
    await expectError(await upgrade(`/ws/team-b:notes?token=${token}`), 403, "wrong_document");
  });

  it("refuses a missing token with 401", async () => {
    await expectError(await upgrade(`/ws/${uniqueDocId("none")}`), 401, "missing_token");
  });

  it("refuses a forged token with 401", async () => {
    const docId = uniqueDocId("forged");
    const forged = await new SignJWT({ doc: docId, access: "write" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("mallory")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("not-the-secret"));
    await expectError(await upgrade(`/ws/${docId}?token=${forged}`), 401, "invalid_token");
  });

  it("refuses an expired token with 401", async () => {
    const docId = uniqueDocId("expired");
    const expired = await new SignJWT({ doc: docId, access: "write" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("u")
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(env.AUTH_SECRET!));
    await expectError(await upgrade(`/ws/${docId}?token=${expired}`), 401, "token_expired");
  });

  it("refuses a token for another document with 403", async () => {
    await expectError(await upgrade(`/ws/${uniqueDocId("mine")}?token=${await tokenFor("someone-else")}`), 403, "wrong_document");
  });

  it.each(["a%2Fb", "x".repeat(129), "sp%20ace", "%E2%9C%93"])("refuses the invalid document id %s with 400", async (id) => {
    await expectError(await upgrade(`/ws/${id}?token=x`), 400, "invalid_doc_id");
  });

  it("refuses a plain GET with 426", async () => {
    const docId = uniqueDocId("plain");
    const response = await exports.default.fetch(`http://quire.test/ws/${docId}?token=${await tokenFor(docId)}`);
    await expectError(response, 426, "upgrade_required");
  });
});

describe("POST /v1/docs/:docId/tokens", () => {
  const mint = (docId: string, body: unknown, auth = `Bearer ${env.ADMIN_TOKEN}`) =>
    exports.default.fetch(`http://quire.test/v1/docs/${docId}/tokens`, {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it("mints a token that opens the document", async () => {
    const docId = uniqueDocId("mint");
    const response = await mint(docId, { access: "read", userId: "ada", ttlSeconds: 120 });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { token: string; expiresAt: string; url: string };
    expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(100_000);
    expect(body.url).toBe(`ws://quire.test/ws/${docId}?token=${body.token}`);
    const socket = await upgrade(`/ws/${docId}?token=${body.token}`);
    expect(socket.status).toBe(101);
    socket.webSocket!.accept();
    socket.webSocket!.close();
  });

  it.each([
    ["a missing admin token", ""],
    ["a wrong admin token", "Bearer nope"],
    ["a non-bearer scheme", `Basic ${btoa("admin:dev-admin-token")}`],
  ])("refuses %s with 401", async (_, auth) => {
    const response = await mint(uniqueDocId("mint-auth"), { access: "write" }, auth);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: "unauthorized" } });
  });

  it.each([
    ["bad JSON", "{", "invalid_json"],
    ["a bad access", { access: "admin" }, "invalid_access"],
    ["a bad ttl", { access: "read", ttlSeconds: -5 }, "invalid_ttl"],
    ["a bad user id", { access: "read", userId: 42 }, "invalid_user_id"],
  ])("refuses %s with 400", async (_, body, code) => {
    const response = await mint(uniqueDocId("mint-bad"), body);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code } });
  });
});

describe("other routes", () => {
  it("GET /health answers 200", async () => {
    expect((await exports.default.fetch("http://quire.test/health")).status).toBe(200);
  });

  it("an unknown route gets a JSON 404", async () => {
    const response = await exports.default.fetch("http://quire.test/nope");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "not_found" } });
  });
});
