import { createExecutionContext, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { OPENAPI } from "../../src/admin/openapi";
import { ADMIN_ROUTES } from "../../src/admin/routes";
import type { DocumentObject } from "../../src/document/DocumentObject";
import worker from "../../src/index";
import indexSource from "../../src/index.ts?raw";
import { RawClient, stubFor, uniqueDocId } from "../helpers/workerClient";
import { admin, type AdminCall, base64url, updateOf } from "./adminClient";
import { checkSchema } from "./schemaCheck";

const spec = OPENAPI as unknown as Record<string, any>;
const METHODS = ["get", "put", "patch", "post", "delete"];

/** "GET /v1/docs/{docId}" for every operation the description documents. */
const documented = Object.entries(spec.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
  Object.keys(item).filter((key) => METHODS.includes(key)).map((method) => `${method.toUpperCase()} ${path}`),
);

/** The same for every /v1 route the Worker registers: the admin table plus any registered in src/index.ts itself. */
const registered = [
  ...ADMIN_ROUTES.map((route) => `${route.method} ${route.path}`),
  ...[...indexSource.matchAll(/\.(get|put|patch|post|delete)\(\s*"(\/v1[^"]*)"/g)].map(([, method, path]) => `${method.toUpperCase()} ${path}`),
].map((route) => route.replace(/:(\w+)/g, "{$1}"));

const operation = (key: string) => {
  const [method, path] = key.split(" ");
  return spec.paths[path][method.toLowerCase()];
};

/** A concrete URL for a documented path. */
const urlFor = (path: string, docId: string, snapshotId = "1", webhookId = "no-such-webhook") =>
  path.replace("{docId}", docId).replace("{snapshotId}", snapshotId).replace("{webhookId}", webhookId);

/** Checks a real response against what the description says that operation answers. */
async function expectDocumented(key: string, response: Response): Promise<void> {
  const documentedResponse = operation(key).responses[String(response.status)];
  expect(documentedResponse, `${key} answered ${response.status}, which is not documented`).toBeDefined();
  const resolved = documentedResponse.$ref ? spec.components.responses[documentedResponse.$ref.split("/").pop()] : documentedResponse;
  if (!resolved.content) {
    expect(await response.text()).toBe("");
    return;
  }
  const type = (response.headers.get("Content-Type") ?? "").split(";")[0];
  expect(Object.keys(resolved.content), `${key} ${response.status} answered ${type}`).toContain(type);
  if (type === "application/json") {
    const body = await response.json();
    expect(checkSchema(body, resolved.content[type].schema, spec), `${key} ${response.status}`).toEqual([]);
  }
}

describe("GET /v1/openapi.json", () => {
  it("is served without authentication and is an OpenAPI 3.1 document", async () => {
    const response = await admin("GET", "/v1/openapi.json", { auth: null });
    expect(response.status).toBe(200);
    const body = await response.json<Record<string, any>>();
    expect(body.openapi).toBe("3.1.0");
    expect(body).toEqual(JSON.parse(JSON.stringify(OPENAPI)));
  });

  it("describes every /v1 route the Worker registers, and nothing else", () => {
    expect(registered.length).toBeGreaterThan(10);
    expect([...new Set(documented)].sort()).toEqual([...new Set(registered)].sort());
  });

  it("resolves every $ref", () => {
    const refs = [...JSON.stringify(spec).matchAll(/"\$ref":"#\/([^"]+)"/g)].map(([, ref]) => ref);
    for (const ref of refs) expect(ref.split("/").reduce((node: any, part) => node?.[part], spec), ref).toBeDefined();
  });

  it.each(documented.filter((key) => key !== "GET /v1/openapi.json"))("%s refuses a request without the admin token (documented 401)", async (key) => {
    const [method, path] = key.split(" ");
    for (const auth of [null, "Bearer wrong-token", "dev-admin-token"]) {
      const response = await admin(method, urlFor(path, uniqueDocId("auth")), { auth });
      expect(response.status).toBe(401);
      await expectDocumented(key, response);
    }
  });

  it.each(documented.filter((key) => key !== "GET /v1/openapi.json"))("%s fails closed (documented 503) when ADMIN_TOKEN is not configured", async (key) => {
    const [method, path] = key.split(" ");
    const request = new Request(`http://quire.test${urlFor(path, uniqueDocId("no-admin"))}`, { method, headers: { Authorization: "Bearer anything" } });
    const response = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, { ...env, ADMIN_TOKEN: undefined }, createExecutionContext());
    expect(response.status).toBe(503);
    await expectDocumented(key, response);
  });

  it.each(documented.filter((key) => key.includes("{docId}")))("%s refuses an invalid document id (documented 400)", async (key) => {
    const [method, path] = key.split(" ");
    for (const bad of ["has%20space", "x".repeat(129), "%E0%A4%A"]) {
      const response = await admin(method, urlFor(path, bad), { body: method === "GET" || method === "DELETE" ? undefined : {} });
      expect(response.status, bad).toBe(400);
      await expectDocumented(key, response);
    }
  });

  it.each(documented.filter((key) => operation(key).requestBody))("%s refuses an oversize body (documented 413, or another 4xx before reading it)", async (key) => {
    const [method, path] = key.split(" ");
    const response = await admin(method, urlFor(path, uniqueDocId("huge")), { body: JSON.stringify({ metadata: { x: "y".repeat(17 * 1024 * 1024) } }), headers: { "Content-Type": "application/json" } });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    await expectDocumented(key, response);
  });

  it("matches real answers of the document operations: statuses, media types and bodies", async () => {
    const id = uniqueDocId("spec");
    const update = updateOf((doc) => doc.getText("text").insert(0, "spec"));
    const call = async (key: string, docId: string, options: AdminCall = {}, query = "") => {
      const [method, path] = key.split(" ");
      const response = await admin(method, urlFor(path, docId) + query, options);
      await expectDocumented(key, response.clone());
      return response;
    };
    expect((await call("PUT /v1/docs/{docId}", id, { body: update })).status).toBe(201);
    expect((await call("PUT /v1/docs/{docId}", id, { body: { metadata: { title: "spec" } } })).status).toBe(200);
    expect((await call("GET /v1/docs", id, {}, "")).status).toBe(200);
    expect((await call("GET /v1/docs/{docId}", id)).status).toBe(200);
    expect((await call("PATCH /v1/docs/{docId}", id, { body: { metadata: { tags: ["a"] } } })).status).toBe(200);
    expect((await call("GET /v1/docs/{docId}/update", id)).status).toBe(200);
    expect((await call("GET /v1/docs/{docId}/update", id, {}, `?sv=${base64url(Y.encodeStateVector(new Y.Doc()))}`)).status).toBe(200);
    expect((await call("POST /v1/docs/{docId}/update", id, { body: updateOf((d) => d.getMap("m").set("a", 1)) })).status).toBe(200);
    expect((await call("GET /v1/docs/{docId}/json", id)).status).toBe(200);
    const client = await RawClient.connect(id);
    await client.waitFor("sync-step1");
    expect((await call("GET /v1/docs/{docId}/connections", id)).status).toBe(200);
    expect((await call("POST /v1/docs/{docId}/disconnect", id, { body: {} })).status).toBe(200);
    expect((await call("POST /v1/docs/{docId}/tokens", id, { body: { access: "read" } })).status).toBe(200);
    await runInDurableObject(stubFor(id), (object: DocumentObject) => object.compactor.compact("manual"));
    expect((await call("DELETE /v1/docs/{docId}", id)).status).toBe(204);
    expect((await call("GET /v1/docs", id, {}, "?q=spec&metadata.title=spec&updatedSince=2020-01-01")).status).toBe(200);

    const webhookCall = async (key: string, webhookId: string, options: AdminCall = {}, query = "") => {
      const [method, path] = key.split(" ");
      const response = await admin(method, urlFor(path, "unused", "1", webhookId) + query, options);
      await expectDocumented(key, response.clone());
      return response;
    };
    const created = await webhookCall("POST /v1/webhooks", "", { body: { url: "https://receiver.example/quire", events: ["document.updated"] } });
    expect(created.status).toBe(201);
    const { id: hookId } = await created.json<{ id: string }>();
    expect((await webhookCall("GET /v1/webhooks", "")).status).toBe(200);
    expect((await webhookCall("GET /v1/webhooks/{webhookId}/deliveries", hookId, {}, "?limit=5")).status).toBe(200);
    expect((await webhookCall("DELETE /v1/webhooks/{webhookId}", hookId)).status).toBe(204);
    expect((await webhookCall("DELETE /v1/webhooks/{webhookId}", hookId)).status).toBe(404);
    expect((await webhookCall("GET /v1/webhooks/{webhookId}/deliveries", hookId)).status).toBe(404);
    expect((await webhookCall("POST /v1/webhooks", "", { body: { url: "http://receiver.example/quire" } })).status).toBe(400);

    // Error answers are documented too.
    const unknown = uniqueDocId("spec-unknown");
    expect((await call("GET /v1/docs/{docId}", unknown)).status).toBe(404);
    expect((await call("GET /v1/docs/{docId}", "bad%20id")).status).toBe(400);
    expect((await call("GET /v1/docs", id, {}, "?limit=0")).status).toBe(400);
    expect((await call("POST /v1/docs/{docId}/update", unknown, { body: "x", headers: { "Content-Type": "text/plain" } })).status).toBe(415);
    expect((await call("PUT /v1/docs/{docId}", unknown, { body: { metadata: { big: "x".repeat(17_000) } } })).status).toBe(413);
    expect((await call("DELETE /v1/docs/{docId}", unknown)).status).toBe(404);
  });
});
