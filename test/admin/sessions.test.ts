import { describe, expect, it } from "vitest";
import { CloseCode } from "../../src/protocol/closeCodes";
import { RawClient, tokenFor, uniqueDocId } from "../helpers/workerClient";
import { admin, adminJson, createDoc, errorCode } from "./adminClient";

async function connectAs(docId: string, userId: string, access: "read" | "write" = "write"): Promise<RawClient> {
  const client = await RawClient.connect(docId, { token: await tokenFor(docId, access, userId) });
  await client.waitFor("sync-step1");
  return client;
}

describe("GET /v1/docs/:docId/connections", () => {
  it("lists live sessions with user, access and connection time", async () => {
    const id = await createDoc(uniqueDocId("conns"));
    const before = Date.now();
    const ada = await connectAs(id, "ada");
    await connectAs(id, "bob", "read");
    const { connections } = await adminJson("GET", `/v1/docs/${id}/connections`, 200);
    expect(connections).toHaveLength(2);
    const byUser = Object.fromEntries(connections.map((c: { userId: string }) => [c.userId, c]));
    expect(byUser.ada).toMatchObject({ access: "write" });
    expect(byUser.bob).toMatchObject({ access: "read" });
    expect(Date.parse(byUser.ada.connectedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(typeof byUser.ada.sessionId).toBe("string");

    ada.close();
    await ada.closed;
    await expect.poll(async () => (await adminJson("GET", `/v1/docs/${id}/connections`, 200)).connections.length).toBe(1);
  });

  it("is 404 for an unknown document", async () => {
    expect(await errorCode(await admin("GET", `/v1/docs/${uniqueDocId("conns-unknown")}/connections`), 404)).toBe("not_found");
  });
});

describe("POST /v1/docs/:docId/disconnect", () => {
  it("closes one user's connections with 4403 and leaves the others", async () => {
    const id = await createDoc(uniqueDocId("revoke"));
    const [ada1, ada2, bob] = [await connectAs(id, "ada"), await connectAs(id, "ada"), await connectAs(id, "bob")];
    const { closed } = await adminJson("POST", `/v1/docs/${id}/disconnect`, 200, { body: { userId: "ada" } });
    expect(closed.map((s: { userId: string }) => s.userId)).toEqual(["ada", "ada"]);
    expect((await ada1.closed).code).toBe(CloseCode.accessRevoked);
    expect((await ada2.closed).code).toBe(CloseCode.accessRevoked);
    const { connections } = await adminJson("GET", `/v1/docs/${id}/connections`, 200);
    expect(connections.map((c: { userId: string }) => c.userId)).toEqual(["bob"]);
    bob.close();
  });

  it("closes one session by id, or every connection with an empty body", async () => {
    const id = await createDoc(uniqueDocId("revoke-all"));
    const [a, b, c] = [await connectAs(id, "a"), await connectAs(id, "b"), await connectAs(id, "c")];
    const { connections } = await adminJson("GET", `/v1/docs/${id}/connections`, 200);
    const sessionOfB = connections.find((s: { userId: string }) => s.userId === "b").sessionId;
    const one = await adminJson("POST", `/v1/docs/${id}/disconnect`, 200, { body: { sessionId: sessionOfB } });
    expect(one.closed).toHaveLength(1);
    expect((await b.closed).code).toBe(CloseCode.accessRevoked);

    const all = await adminJson("POST", `/v1/docs/${id}/disconnect`, 200);
    expect(all.closed.map((s: { userId: string }) => s.userId).sort()).toEqual(["a", "c"]);
    expect((await a.closed).code).toBe(CloseCode.accessRevoked);
    expect((await c.closed).code).toBe(CloseCode.accessRevoked);
  });

  it.each([
    ["bad JSON", { body: "{", headers: { "Content-Type": "application/json" } }, "invalid_json"],
    ["a body that is not an object", { body: ["ada"] }, "invalid_body"],
    ["a userId that is not a string", { body: { userId: 7 } }, "invalid_user_id"],
    ["an empty sessionId", { body: { sessionId: "" } }, "invalid_session_id"],
  ])("refuses %s with 400 and closes nothing", async (_, call, code) => {
    const id = await createDoc(uniqueDocId("revoke-bad"));
    const client = await connectAs(id, "ada");
    expect(await errorCode(await admin("POST", `/v1/docs/${id}/disconnect`, call), 400)).toBe(code);
    expect((await adminJson("GET", `/v1/docs/${id}/connections`, 200)).connections).toHaveLength(1);
    client.close();
  });

  it("is 404 for an unknown document", async () => {
    expect(await errorCode(await admin("POST", `/v1/docs/${uniqueDocId("revoke-unknown")}/disconnect`), 404)).toBe("not_found");
  });
});
