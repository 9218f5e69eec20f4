// The authorization matrix: every route (the admin table in src/admin/routes.ts plus the routes
// src/index.ts registers itself) and the WebSocket upgrade, with no token, a forged one, an
// expired one, one for another document, a read-only one used to write and a revoked one. Every
// refusal is checked for its status and JSON code, and afterwards for having changed nothing.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { ADMIN_ROUTES } from "../../src/admin/routes";
import { signToken } from "../../src/auth/tokens";
import type { DocumentObject } from "../../src/document/DocumentObject";
import { CloseCode } from "../../src/protocol/closeCodes";
import { encodeAckRequest } from "../../src/protocol/messages";
import { RawClient, stubFor, textUpdate, tokenFor, uniqueDocId } from "../helpers/workerClient";
import { admin, clientTokens, connectWith, revoke, secondsAfter, upgrade, type ClientTokens } from "./authTools";

interface Route {
  method: string;
  path: string;
}

/** Routes src/index.ts registers outside the admin table (kept here by hand: source is not scanned). */
const OTHER_ROUTES: Route[] = [
  { method: "GET", path: "/health" },
  { method: "GET", path: "/ws/:docId" },
  { method: "POST", path: "/v1/docs/:docId/tokens" },
  { method: "GET", path: "/v1/docs/:docId/snapshots" },
  { method: "POST", path: "/v1/docs/:docId/snapshots" },
  { method: "GET", path: "/v1/docs/:docId/snapshots/:snapshotId/update" },
  { method: "POST", path: "/v1/docs/:docId/snapshots/:snapshotId/restore" },
  // In the admin table once revocation lands; listed here too so the matrix covers it either way.
  { method: "POST", path: "/v1/docs/:docId/revoke" },
  { method: "POST", path: "/dev/docs/:docId/token" },
];
/** Routes that need no credentials at all. */
const PUBLIC = new Set(["GET /health", "GET /v1/openapi.json"]);
/** Local development only (DEV_MODE=true on a loopback host); the test server is neither. */
const DEV_ONLY = new Set(["POST /dev/docs/:docId/token"]);
const UPGRADE = "GET /ws/:docId";

const key = (route: Route) => `${route.method} ${route.path}`;
const ROUTES: Route[] = [...new Map([...ADMIN_ROUTES, ...OTHER_ROUTES].map((route) => [key(route), { method: route.method, path: route.path }])).values()];
const ADMIN_ONLY = ROUTES.filter((route) => !PUBLIC.has(key(route)) && !DEV_ONLY.has(key(route)) && key(route) !== UPGRADE);

/** A body that would change something if the route accepted it. */
function bodyFor(route: Route, docId: string): RequestInit {
  const json = (value: unknown): RequestInit => ({ body: JSON.stringify(value), headers: { "Content-Type": "application/json" } });
  if (route.path.endsWith("/update") && route.method === "POST") {
    return { body: textUpdate("written without credentials"), headers: { "Content-Type": "application/octet-stream" } };
  }
  if (route.path.endsWith("/tokens")) return json({ access: "write", userId: "mallory" });
  if (route.path === "/v1/docs/:docId" && route.method !== "GET" && route.method !== "DELETE") return json({ metadata: { owner: "mallory" } });
  if (route.path.endsWith("/disconnect") || route.path.endsWith("/revoke")) return json({});
  if (route.method === "GET" || route.method === "DELETE") return {};
  return json({});
}

function pathFor(route: Route, params: Record<string, string>): string {
  return route.path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? "x"));
}

/** What an operator sees of a document: content, metadata, snapshots, sessions. */
async function observe(docId: string) {
  const read = async (path: string) => {
    const response = await admin(path);
    expect(response.status, path).toBe(200);
    return response.json();
  };
  const doc = (await read(`/v1/docs/${docId}`)) as { metadata: unknown };
  return {
    content: await read(`/v1/docs/${docId}/json`),
    metadata: doc.metadata,
    snapshots: await read(`/v1/docs/${docId}/snapshots`),
    sessions: ((await read(`/v1/docs/${docId}/connections`)) as { connections: Array<{ sessionId: string }> }).connections.map((c) => c.sessionId).sort(),
  };
}

describe("the authorization matrix", () => {
  const docId = uniqueDocId("matrix");
  const params: Record<string, string> = { docId };
  let tokens: ClientTokens;
  let live: RawClient;
  let controlSeq = 0;

  beforeAll(async () => {
    // A document with content, metadata, a snapshot and a live connection, so a request that got
    // through would leave a trace.
    expect((await admin(`/v1/docs/${docId}`, { method: "PUT", body: JSON.stringify({ metadata: { owner: "ada" } }), headers: { "Content-Type": "application/json" } })).status).toBe(201);
    expect((await admin(`/v1/docs/${docId}/update`, { method: "POST", body: textUpdate("the operator's text"), headers: { "Content-Type": "application/octet-stream" } })).status).toBe(200);
    const snapshot = await admin(`/v1/docs/${docId}/snapshots`, { method: "POST" });
    expect(snapshot.status).toBe(201);
    params.snapshotId = String(((await snapshot.json()) as { snapshot: { id: string | number } }).snapshot.id);
    live = await RawClient.connect(docId, { ext: "ack", token: await tokenFor(docId, "write", "ada") });
    await live.waitFor("sync-step1");
    tokens = await clientTokens(docId);
  });

  it("covers every route of the admin table and the routes registered beside it", () => {
    expect(ROUTES.length).toBe(new Set(ROUTES.map(key)).size);
    for (const route of ADMIN_ROUTES) expect(ROUTES.map(key)).toContain(key(route));
    const guarded = ADMIN_ONLY.map(key);
    for (const route of ADMIN_ROUTES) if (!PUBLIC.has(key(route))) expect(guarded).toContain(key(route));
    for (const route of OTHER_ROUTES) if (route.path.startsWith("/v1/")) expect(guarded).toContain(key(route));
  });

  it.each([...PUBLIC])("%s answers 200 without any credentials", async (name) => {
    const route = ROUTES.find((r) => key(r) === name)!;
    const response = await exports.default.fetch(`http://quire.test${pathFor(route, params)}`, { method: route.method });
    expect(response.status).toBe(200);
  });

  it.each([...DEV_ONLY])("%s does not exist outside local development, whatever the credentials", async (name) => {
    const route = ROUTES.find((r) => key(r) === name)!;
    for (const authorization of [undefined, `Bearer ${env.ADMIN_TOKEN}`, `Bearer ${tokens.valid}`]) {
      const response = await exports.default.fetch(`http://quire.test${pathFor(route, params)}`, {
        method: route.method,
        headers: authorization ? { Authorization: authorization } : {},
      });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: "not_found" } });
    }
  });

  /** Every way to present a credential that is not the admin token. */
  const credentials: Array<[string, () => Record<string, string>, string?]> = [
    ["no token", () => ({})],
    ["a forged admin token", () => ({ Authorization: "Bearer not-the-admin-token" })],
    ["the admin token under another scheme", () => ({ Authorization: `Basic ${btoa(`admin:${env.ADMIN_TOKEN}`)}` })],
    ["the admin token in the query string", () => ({}), `token=${env.ADMIN_TOKEN}`],
    ["a valid client token for the document", () => ({ Authorization: `Bearer ${tokens.valid}` })],
    ["a forged client token", () => ({ Authorization: `Bearer ${tokens.forged}` })],
    ["an expired client token", () => ({ Authorization: `Bearer ${tokens.expired}` })],
    ["a client token for another document", () => ({ Authorization: `Bearer ${tokens.otherDocument}` })],
    ["a read-only client token", () => ({ Authorization: `Bearer ${tokens.readOnly}` })],
    ["a revoked client token", () => ({ Authorization: `Bearer ${tokens.revoked}` })],
  ];

  it.each(credentials)("every admin route refuses %s with 401 and changes nothing", async (_, headers, query) => {
    const before = await observe(docId);
    for (const route of ADMIN_ONLY) {
      const init = bodyFor(route, docId);
      const url = `http://quire.test${pathFor(route, params)}${query ? `?${query}` : ""}`;
      const response = await exports.default.fetch(url, { ...init, method: route.method, headers: { ...(init.headers as Record<string, string>), ...headers() } });
      expect(response.status, key(route)).toBe(401);
      expect(await response.json(), key(route)).toMatchObject({ error: { code: "unauthorized", message: expect.any(String) } });
    }
    expect(await observe(docId)).toEqual(before);
    // The live connection was not touched: a control round trip still answers.
    const seq = ++controlSeq;
    live.send(encodeAckRequest(seq));
    await live.waitFor("ack", (m) => m.seq === seq);
  });

  it.each<[string, number, string, () => string]>([
    ["no token", 401, "missing_token", () => ""],
    ["a forged token", 401, "invalid_token", () => tokens.forged],
    ["an unsigned token (alg none)", 401, "invalid_token", () => tokens.unsigned],
    ["a token whose claims were altered after signing", 401, "invalid_token", () => tokens.tampered],
    ["the admin token", 401, "invalid_token", () => env.ADMIN_TOKEN!],
    ["an expired token", 401, "token_expired", () => tokens.expired],
    ["a token for another document", 403, "wrong_document", () => tokens.otherDocument],
    ["a revoked token", 403, "token_revoked", () => tokens.revoked],
  ])("the WebSocket upgrade refuses %s before upgrading: %i %s", async (_, status, code, token) => {
    const response = await upgrade(docId, token());
    expect(response.status).toBe(status);
    expect(response.webSocket).toBeFalsy();
    expect(await response.json()).toMatchObject({ error: { code, message: expect.any(String) } });
  });

  it("a read-only token used to write gets permission-denied for every change, stores nothing and stays connected", async () => {
    const stored = () => runInDurableObject(stubFor(docId), (object: DocumentObject) => object.log.stats().updates);
    const before = { log: await stored(), content: (await observe(docId)).content };
    const reader = await connectWith(docId, tokens.readOnly, "ack");
    await reader.waitFor("sync-step1");
    const doc = new Y.Doc();
    for (let i = 0; i < 3; i++) reader.sendUpdate(textUpdate(`reader write ${i} `, doc));
    reader.send(encodeAckRequest(1));
    await reader.waitFor("ack", (m) => m.seq === 1);
    expect(reader.messages.filter((m) => m.type === "permission-denied")).toHaveLength(3);
    expect({ log: await stored(), content: (await observe(docId)).content }).toEqual(before);
    reader.close();
  });

  it("a token for another document opens that document only", async () => {
    const response = await upgrade(uniqueDocId("someone-else"), tokens.valid);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: "wrong_document" } });
  });

  it("a disallowed browser origin is refused before upgrading with 403 origin_not_allowed; an allowed one connects", async () => {
    const allowed = (env as unknown as { ALLOWED_ORIGINS?: string }).ALLOWED_ORIGINS!.split(",")[0].trim();
    const refused = await upgrade(docId, tokens.valid, { Origin: "https://evil.example" });
    expect(refused.status).toBe(403);
    expect(refused.webSocket).toBeFalsy();
    expect(await refused.json()).toMatchObject({ error: { code: "origin_not_allowed" } });
    const ok = await upgrade(docId, tokens.valid, { Origin: allowed });
    expect(ok.status).toBe(101);
    ok.webSocket!.accept();
    ok.webSocket!.close(1000, "done");
  });
});

/** A new document created through the admin API, so it is in the index at once (a client's first visit indexes it moments later). */
async function indexedDoc(label: string, docId = uniqueDocId(label)): Promise<string> {
  expect((await admin(`/v1/docs/${docId}`, { method: "PUT" })).status).toBe(201);
  return docId;
}

describe("revocation", () => {
  // Known gap (fails on main): the revoke route answers 404 until the D1 index has the document,
  // which a client's first visit writes moments later; a revocation is a security action and must
  // reach the live sockets (and refuse earlier tokens) whatever the index says.
  it("revoking a document that a client opened moments ago, before the index has it, still closes its sockets", async () => {
    const docId = uniqueDocId("revoke-unindexed");
    const client = await connectWith(docId, await tokenFor(docId, "write", "mallory"));
    await client.waitFor("sync-step1");
    const { closed } = await revoke(docId);
    expect(closed).toBe(1);
    expect((await client.closed).code).toBe(CloseCode.accessRevoked);
  });

  it("revoking a document closes every live socket with 4403 and refuses every token issued up to that second; later tokens work", async () => {
    const docId = await indexedDoc("revoke-all");
    const old = { ada: await tokenFor(docId, "write", "ada"), bob: await tokenFor(docId, "read", "bob") };
    const ada = await connectWith(docId, old.ada);
    const bob = await connectWith(docId, old.bob);
    await Promise.all([ada.waitFor("sync-step1"), bob.waitFor("sync-step1")]);

    const { revokedAt, closed } = await revoke(docId);
    expect(closed).toBe(2);
    expect((await ada.closed).code).toBe(CloseCode.accessRevoked);
    expect((await bob.closed).code).toBe(CloseCode.accessRevoked);
    for (const token of [old.ada, old.bob, await tokenFor(docId, "write", "carol")]) {
      const response = await upgrade(docId, token); // issued at or before the revocation second
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: { code: "token_revoked" } });
    }

    await secondsAfter(revokedAt);
    const fresh = await connectWith(docId, await tokenFor(docId, "write", "ada"), "ack");
    fresh.sendUpdate(textUpdate("after the revocation"));
    fresh.send(encodeAckRequest(1));
    await fresh.waitFor("ack", (m) => m.seq === 1);
    expect((await fresh.fetchDoc()).getText("text").toString()).toBe("after the revocation");
    fresh.close();
  });

  it("revoking one user closes only that user's sockets and refuses only that user's tokens", async () => {
    const docId = await indexedDoc("revoke-user");
    const old = { mallory: await tokenFor(docId, "write", "mallory"), ada: await tokenFor(docId, "write", "ada") };
    const mallory1 = await connectWith(docId, old.mallory);
    const mallory2 = await connectWith(docId, old.mallory);
    const ada = await connectWith(docId, old.ada, "ack");
    await Promise.all([mallory1.waitFor("sync-step1"), mallory2.waitFor("sync-step1"), ada.waitFor("sync-step1")]);

    const { revokedAt, closed } = await revoke(docId, "mallory");
    expect(closed).toBe(2);
    expect((await mallory1.closed).code).toBe(CloseCode.accessRevoked);
    expect((await mallory2.closed).code).toBe(CloseCode.accessRevoked);
    // Ada's socket is open: an edit and an ack after the revocation prove it, in order.
    ada.sendUpdate(textUpdate("ada carries on"));
    ada.send(encodeAckRequest(1));
    await ada.waitFor("ack", (m) => m.seq === 1);

    const refused = await upgrade(docId, old.mallory);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: "token_revoked" } });
    const adaAgain = await upgrade(docId, old.ada);
    expect(adaAgain.status).toBe(101);
    adaAgain.webSocket!.accept();
    adaAgain.webSocket!.close(1000, "done");

    await secondsAfter(revokedAt);
    const malloryAgain = await upgrade(docId, await tokenFor(docId, "write", "mallory"));
    expect(malloryAgain.status).toBe(101);
    malloryAgain.webSocket!.accept();
    malloryAgain.webSocket!.close(1000, "done");
    ada.close();
  });

  it("a revocation is kept in storage: it still holds after the object is evicted", async () => {
    const { evictDurableObject } = await import("cloudflare:test");
    const docId = await indexedDoc("revoke-evict");
    const token = await tokenFor(docId, "write", "mallory");
    const client = await connectWith(docId, token);
    await client.waitFor("sync-step1");
    await revoke(docId, "mallory");
    await client.closed;
    await evictDurableObject(stubFor(docId));
    const response = await upgrade(docId, token);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: "token_revoked" } });
  });

  it("revoking one document leaves a prefix token valid for the other documents it covers", async () => {
    const prefix = `revoke-prefix-${crypto.randomUUID()}:`;
    await indexedDoc("", `${prefix}a`);
    const { token } = await signToken(env.AUTH_SECRET!, { sub: "ada", doc: `${prefix}*`, access: "write" }, 600);
    const first = await connectWith(`${prefix}a`, token);
    await first.waitFor("sync-step1");
    await revoke(`${prefix}a`);
    expect((await first.closed).code).toBe(CloseCode.accessRevoked);
    expect((await upgrade(`${prefix}a`, token)).status).toBe(403);
    const other = await upgrade(`${prefix}b`, token);
    expect(other.status).toBe(101);
    other.webSocket!.accept();
    other.webSocket!.close(1000, "done");
  });

  it("the revoke route refuses a bad body with 400 and an unknown user revokes nothing live", async () => {
    const docId = await indexedDoc("revoke-bad");
    const client = await connectWith(docId, await tokenFor(docId, "write", "ada"), "ack");
    await client.waitFor("sync-step1");
    for (const body of ["{", JSON.stringify({ userId: 42 }), JSON.stringify([])]) {
      const response = await admin(`/v1/docs/${docId}/revoke`, { method: "POST", body, headers: { "Content-Type": "application/json" } });
      expect(response.status, body).toBe(400);
    }
    expect((await revoke(docId, "nobody")).closed).toBe(0);
    client.send(encodeAckRequest(1));
    await client.waitFor("ack", (m) => m.seq === 1);
    client.close();
  });
});
