import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { DocumentObject } from "../../src/document/DocumentObject";
import { RawClient, stubFor, textUpdate, uniqueDocId } from "../helpers/workerClient";
import { admin, adminJson, base64url, createDoc, errorCode, updateOf } from "./adminClient";

const logStats = (docId: string) => runInDurableObject(stubFor(docId), (object: DocumentObject) => object.log.stats());

async function readUpdate(path: string): Promise<Uint8Array> {
  const response = await admin("GET", path);
  expect(response.status).toBe(200);
  expect(response.headers.get("Content-Type")).toBe("application/octet-stream");
  return new Uint8Array(await response.arrayBuffer());
}

describe("GET /v1/docs/:docId/update", () => {
  it("returns the full state, or only the difference from a state vector", async () => {
    const id = await createDoc(uniqueDocId("state"));
    const client = await RawClient.connect(id);
    client.sendUpdate(textUpdate("over the socket"));
    await client.fetchDoc(); // the update has been handled once the reply to a later message arrives

    const full = new Y.Doc();
    Y.applyUpdate(full, await readUpdate(`/v1/docs/${id}/update`));
    expect(full.getText("text").toString()).toBe("over the socket");

    await adminJson("POST", `/v1/docs/${id}/update`, 200, { body: updateOf((d) => d.getMap("extra").set("k", "v")) });
    const diff = await readUpdate(`/v1/docs/${id}/update?sv=${base64url(Y.encodeStateVector(full))}`);
    const decoded = Y.decodeUpdate(diff);
    expect(decoded.structs.length).toBe(1); // only the map entry, none of the text
    Y.applyUpdate(full, diff);
    expect(full.getMap("extra").get("k")).toBe("v");
    expect(full.getText("text").toString()).toBe("over the socket");
  });

  it.each([
    ["not base64", "%%%"],
    ["an empty state vector", ""],
    ["a truncated state vector", base64url(new Uint8Array([3, 1]))],
  ])("refuses %s in sv with 400", async (_, sv) => {
    const id = await createDoc(uniqueDocId("state-bad"));
    expect(await errorCode(await admin("GET", `/v1/docs/${id}/update?sv=${sv}`), 400)).toBe("invalid_state_vector");
  });

  it("is 404 for an unknown document", async () => {
    expect(await errorCode(await admin("GET", `/v1/docs/${uniqueDocId("state-unknown")}/update`), 404)).toBe("not_found");
  });
});

describe("POST /v1/docs/:docId/update", () => {
  it("stores the update and broadcasts it to live clients", async () => {
    const id = await createDoc(uniqueDocId("apply"));
    const client = await RawClient.connect(id);
    await client.waitFor("sync-step1");
    const update = updateOf((d) => d.getText("text").insert(0, "from the server"));
    expect(await adminJson("POST", `/v1/docs/${id}/update`, 200, { body: update })).toEqual({ changed: true });

    const received = await client.waitFor("update");
    const seen = new Y.Doc();
    Y.applyUpdate(seen, received.update);
    expect(seen.getText("text").toString()).toBe("from the server");
    expect(await logStats(id)).toMatchObject({ updates: 1 });

    expect(await adminJson("POST", `/v1/docs/${id}/update`, 200, { body: update })).toEqual({ changed: false });
    expect(await logStats(id)).toMatchObject({ updates: 1 });
  });

  it.each([
    ["a corrupt update", { body: new Uint8Array([5, 200, 3, 255, 255, 9]) }, 400, "invalid_update"],
    ["an empty body", { body: new Uint8Array() }, 400, "invalid_update"],
    ["a JSON body", { body: { update: [1, 2] } }, 415, "unsupported_media_type"],
    ["a body over 16 MiB", { body: new Uint8Array(16 * 1024 * 1024 + 1) }, 413, "body_too_large"],
  ])("refuses %s and stores nothing", async (_, call, status, code) => {
    const id = await createDoc(uniqueDocId("apply-bad"));
    expect(await errorCode(await admin("POST", `/v1/docs/${id}/update`, call), status)).toBe(code);
    expect(await logStats(id)).toMatchObject({ updates: 0 });
  });

  it("is 404 for an unknown document, which it does not create", async () => {
    const id = uniqueDocId("apply-unknown");
    const response = await admin("POST", `/v1/docs/${id}/update`, { body: updateOf((d) => d.getText("t").insert(0, "x")) });
    expect(await errorCode(response, 404)).toBe("not_found");
    expect(await errorCode(await admin("GET", `/v1/docs/${id}`), 404)).toBe("not_found");
  });
});

describe("GET /v1/docs/:docId/json", () => {
  it("shows every kind of top-level type as JSON", async () => {
    const update = updateOf((doc) => {
      doc.getText("text").insert(0, "plain text");
      const map = doc.getMap("settings");
      map.set("theme", "dark");
      const nested = new Y.Array();
      nested.push([1, 2]);
      map.set("list", nested);
      doc.getArray("items").push(["a", { b: true }]);
      const paragraph = new Y.XmlElement("paragraph");
      paragraph.insert(0, [new Y.XmlText("hi")]);
      doc.getXmlFragment("prosemirror").insert(0, [paragraph]);
      doc.getText("cleared").insert(0, "gone");
      doc.getText("cleared").delete(0, 4);
    });
    const id = await createDoc(uniqueDocId("json"), update);
    expect(await adminJson("GET", `/v1/docs/${id}/json`, 200)).toEqual({
      text: "plain text",
      settings: { theme: "dark", list: [1, 2] },
      items: ["a", { b: true }],
      prosemirror: "<paragraph>hi</paragraph>",
      cleared: null,
    });
  });

  it("is 404 for an unknown document", async () => {
    expect(await errorCode(await admin("GET", `/v1/docs/${uniqueDocId("json-unknown")}/json`), 404)).toBe("not_found");
  });
});
