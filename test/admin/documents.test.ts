import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { parseDocId } from "../../src/document/docId";
import { getDocument } from "../../src/metadata/documentIndex";
import { uniqueDocId } from "../helpers/workerClient";
import { admin, adminJson, createDoc, errorCode, updateOf } from "./adminClient";

describe("PUT /v1/docs/:docId", () => {
  it("creates a document once: 201, then 200 on repeats, and indexes it at once", async () => {
    const id = uniqueDocId("create");
    const first = await adminJson("PUT", `/v1/docs/${id}`, 201);
    expect(first).toMatchObject({ id, sizeBytes: 2, updateCount: 0, connections: 0, lastEditor: null, metadata: {} });
    expect(first.createdAt).toBe(first.updatedAt);
    expect(await getDocument(env.DB, id)).not.toBeNull();

    const again = await adminJson("PUT", `/v1/docs/${id}`, 200);
    expect(again.createdAt).toBe(first.createdAt);
  });

  it("starts from a binary Yjs update given as the body", async () => {
    const id = uniqueDocId("create-content");
    const initial = updateOf((doc) => doc.getText("body").insert(0, "hello"));
    const created = await adminJson("PUT", `/v1/docs/${id}`, 201, { body: initial });
    expect(created).toMatchObject({ updateCount: 1, lastEditor: "admin" });
    expect(await adminJson("GET", `/v1/docs/${id}/json`, 200)).toEqual({ body: "hello" });

    // The same update again is idempotent: nothing new is stored.
    const repeated = await adminJson("PUT", `/v1/docs/${id}`, 200, { body: initial });
    expect(repeated.updateCount).toBe(1);
  });

  it("takes operator metadata as JSON", async () => {
    const id = uniqueDocId("create-meta");
    const created = await adminJson("PUT", `/v1/docs/${id}`, 201, { body: { metadata: { title: "Plan", tags: ["a", "b"] } } });
    expect(created.metadata).toEqual({ title: "Plan", tags: ["a", "b"] });
    const row = await getDocument(env.DB, id);
    expect(row?.record.metadata).toEqual({ title: "Plan", tags: ["a", "b"] });
  });

  it("refuses a corrupt update with 400 and creates nothing", async () => {
    const id = uniqueDocId("create-corrupt");
    const response = await admin("PUT", `/v1/docs/${id}`, { body: new Uint8Array([5, 200, 3, 255, 255, 9]) });
    expect(await errorCode(response, 400)).toBe("invalid_update");
    expect(await getDocument(env.DB, id)).toBeNull();
    expect(await errorCode(await admin("GET", `/v1/docs/${id}`), 404)).toBe("not_found");
  });

  it.each([
    ["bad JSON", { body: "{not json", headers: { "Content-Type": "application/json" } }, 400, "invalid_json"],
    ["metadata that is not an object", { body: { metadata: ["x"] } }, 400, "invalid_metadata"],
    ["a JSON body that is not an object", { body: [1, 2] }, 400, "invalid_body"],
    ["an unsupported content type", { body: "hello", headers: { "Content-Type": "text/plain" } }, 415, "unsupported_media_type"],
    ["metadata over 16 KiB", { body: { metadata: { blob: "x".repeat(17 * 1024) } } }, 413, "metadata_too_large"],
    ["a JSON body over 64 KiB", { body: { metadata: { blob: "x".repeat(70 * 1024) } } }, 413, "body_too_large"],
  ])("refuses %s", async (_, call, status, code) => {
    const id = uniqueDocId("create-bad");
    expect(await errorCode(await admin("PUT", `/v1/docs/${id}`, call), status)).toBe(code);
    expect(await getDocument(env.DB, id)).toBeNull();
  });

  it("refuses an update body over 16 MiB with 413", async () => {
    const response = await admin("PUT", `/v1/docs/${uniqueDocId("create-huge")}`, { body: new Uint8Array(16 * 1024 * 1024 + 1) });
    expect(await errorCode(response, 413)).toBe("body_too_large");
  });

  it("refuses an invalid document id with 400", async () => {
    expect(await errorCode(await admin("PUT", `/v1/docs/${"x".repeat(129)}`), 400)).toBe("invalid_doc_id");
    expect(await errorCode(await admin("PUT", "/v1/docs/bad%20id"), 400)).toBe("invalid_doc_id");
    expect(await errorCode(await admin("PUT", "/v1/docs/%E0%A4%A"), 400)).toBe("invalid_doc_id");
    // "." and ".." would read as path segments in URLs and R2 keys. URL parsing already folds them
    // (and their %2E spellings) away, so no route sees them; the id check refuses them as well.
    for (const id of [".", ".."]) expect(() => parseDocId(id)).toThrow(/not \. or \.\./);
    expect((await admin("PUT", "/v1/docs/a.b..c")).status).toBe(201);
  });
});

describe("GET /v1/docs/:docId", () => {
  it("returns the live metadata of a document", async () => {
    const id = await createDoc(uniqueDocId("get"), { metadata: { title: "T" } });
    const update = updateOf((doc) => doc.getMap("m").set("k", 1));
    await adminJson("POST", `/v1/docs/${id}/update`, 200, { body: update });
    const doc = await adminJson("GET", `/v1/docs/${id}`, 200);
    expect(doc).toMatchObject({ id, updateCount: 1, lastEditor: "admin", metadata: { title: "T" }, snapshotCount: 0, latestSnapshotSeq: null });
    // The same state encoded here (the byte count depends on the writer's client id, so it is the same update's).
    const same = new Y.Doc();
    Y.applyUpdate(same, update);
    expect(doc.sizeBytes).toBe(Y.encodeStateAsUpdate(same).byteLength);
    expect(Date.parse(doc.updatedAt)).toBeGreaterThanOrEqual(Date.parse(doc.createdAt));
  });

  it("is 404 for an unknown document and 400 for a bad id", async () => {
    expect(await errorCode(await admin("GET", `/v1/docs/${uniqueDocId("unknown")}`), 404)).toBe("not_found");
    expect(await errorCode(await admin("GET", "/v1/docs/a%2Fb"), 400)).toBe("invalid_doc_id");
  });
});

describe("PATCH /v1/docs/:docId", () => {
  it("merges a JSON Merge Patch into the metadata, in the document and the index", async () => {
    const id = await createDoc(uniqueDocId("patch"), { metadata: { title: "Old", tags: ["x"], owner: { name: "ada", team: "a" } } });
    const patched = await adminJson("PATCH", `/v1/docs/${id}`, 200, { body: { metadata: { title: "New", tags: null, owner: { team: "b" } } } });
    const expected = { title: "New", owner: { name: "ada", team: "b" } };
    expect(patched.metadata).toEqual(expected);
    expect((await adminJson("GET", `/v1/docs/${id}`, 200)).metadata).toEqual(expected);
    expect((await getDocument(env.DB, id))?.record.metadata).toEqual(expected);
  });

  it("refuses metadata that would grow over 16 KiB", async () => {
    const id = await createDoc(uniqueDocId("patch-big"), { metadata: { a: "x".repeat(10 * 1024) } });
    const response = await admin("PATCH", `/v1/docs/${id}`, { body: { metadata: { b: "y".repeat(10 * 1024) } } });
    expect(await errorCode(response, 413)).toBe("metadata_too_large");
    expect(Object.keys((await adminJson("GET", `/v1/docs/${id}`, 200)).metadata)).toEqual(["a"]);
  });

  it.each([
    ["bad JSON", { body: "{", headers: { "Content-Type": "application/json" } }, "invalid_json"],
    ["no metadata field", { body: { title: "x" } }, "invalid_body"],
    ["metadata that is not an object", { body: { metadata: "x" } }, "invalid_metadata"],
  ])("refuses %s with 400", async (_, call, code) => {
    const id = await createDoc(uniqueDocId("patch-bad"));
    expect(await errorCode(await admin("PATCH", `/v1/docs/${id}`, call), 400)).toBe(code);
  });

  it("is 404 for an unknown document", async () => {
    const response = await admin("PATCH", `/v1/docs/${uniqueDocId("patch-unknown")}`, { body: { metadata: { a: 1 } } });
    expect(await errorCode(response, 404)).toBe("not_found");
  });
});
