import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CloseCode } from "../../src/protocol/closeCodes";
import { RawClient, tokenFor, uniqueDocId } from "../helpers/workerClient";
import { admin, adminJson, createDoc, errorCode } from "./adminClient";

const upgrade = (docId: string, token: string) => exports.default.fetch(`http://quire.test/ws/${docId}?token=${token}`, { headers: { Upgrade: "websocket" } });

/** Resolves once the clock is past `seconds` (a token minted then has a later `iat`). */
async function pastSecond(seconds: number): Promise<void> {
  while (Math.floor(Date.now() / 1000) <= seconds) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe("POST /v1/docs/:docId/revoke", () => {
  it("closes one user's connections with 4403 and refuses their earlier tokens; later tokens work", async () => {
    const docId = await createDoc(uniqueDocId("revoke-user"));
    const adaToken = await tokenFor(docId, "write", "ada");
    const ada = await RawClient.connect(docId, { token: adaToken });
    const bob = await RawClient.connect(docId, { token: await tokenFor(docId, "write", "bob") });
    const result = await adminJson<{ revokedAt: string; closed: { userId: string }[] }>("POST", `/v1/docs/${docId}/revoke`, 200, { body: { userId: "ada" } });
    expect(result.closed.map((s) => s.userId)).toEqual(["ada"]);
    expect((await ada.closed).code).toBe(CloseCode.accessRevoked);

    const refused = await upgrade(docId, adaToken);
    expect(await errorCode(refused, 403)).toBe("token_revoked");
    expect(await (await bob.fetchDoc()).getText("text").toString()).toBe(""); // bob is still connected

    await pastSecond(Date.parse(result.revokedAt) / 1000);
    const again = await upgrade(docId, await tokenFor(docId, "write", "ada"));
    expect(again.status).toBe(101);
    again.webSocket!.accept();
    again.webSocket!.close();
  });

  it("without a user revokes everyone", async () => {
    const docId = await createDoc(uniqueDocId("revoke-all"));
    const tokens = await Promise.all(["ada", "bob"].map((user) => tokenFor(docId, "read", user)));
    const clients = await Promise.all(tokens.map((token) => RawClient.connect(docId, { token })));
    const result = await adminJson<{ closed: unknown[] }>("POST", `/v1/docs/${docId}/revoke`, 200);
    expect(result.closed).toHaveLength(2);
    for (const client of clients) expect((await client.closed).code).toBe(CloseCode.accessRevoked);
    for (const token of tokens) expect(await errorCode(await upgrade(docId, token), 403)).toBe("token_revoked");
  });

  it("works on a document a client has just opened, before the index has it", async () => {
    const docId = uniqueDocId("revoke-fresh"); // never PUT: only the client's connection creates it
    const client = await RawClient.connect(docId, { token: await tokenFor(docId, "write", "ada") });
    await client.waitFor("sync-step1");
    await env.DB.prepare("DELETE FROM documents WHERE id = ?").bind(docId).run(); // as if the first index write had not landed
    const result = await adminJson<{ closed: unknown[] }>("POST", `/v1/docs/${docId}/revoke`, 200, { body: { userId: "ada" } });
    expect(result.closed).toHaveLength(1);
    expect((await client.closed).code).toBe(CloseCode.accessRevoked);
  });

  it("needs the admin token, a known document and a valid body", async () => {
    const docId = await createDoc(uniqueDocId("revoke-bad"));
    expect(await errorCode(await admin("POST", `/v1/docs/${docId}/revoke`, { auth: null }), 401)).toBe("unauthorized");
    expect(await errorCode(await admin("POST", `/v1/docs/${uniqueDocId("unknown")}/revoke`), 404)).toBe("not_found");
    expect(await errorCode(await admin("POST", `/v1/docs/${docId}/revoke`, { body: { sessionId: "s" } }), 400)).toBe("invalid_body");
    expect(await errorCode(await admin("POST", `/v1/docs/${docId}/revoke`, { body: { userId: "" } }), 400)).toBe("invalid_user_id");
  });
});
