import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { DocumentObject } from "../../src/document/DocumentObject";
import type { Limits } from "../../src/document/limits";
import { encodeAwarenessUpdate } from "../../src/protocol/awareness";
import { CloseCode } from "../../src/protocol/closeCodes";
import { encodeAwareness } from "../../src/protocol/messages";
import { RawClient, stubFor, textUpdate, tokenFor, uniqueDocId } from "../helpers/workerClient";

/** Sets limits on the running object (they return to the configured ones on eviction). */
const setLimits = (docId: string, limits: Partial<Limits>) =>
  runInDurableObject(stubFor(docId), (object: DocumentObject) => void Object.assign(object.limits, limits));

const awareness = (clientId: number, clock: number, state: string) => encodeAwareness(encodeAwarenessUpdate([{ clientId, clock, state }]));

/** A round trip through the document: once its answer arrives, everything sent before was handled. */
async function syncedText(client: RawClient): Promise<string> {
  return (await client.fetchDoc()).getText("text").toString();
}

describe("limits", () => {
  it("an update that would grow the document past MAX_DOCUMENT_BYTES closes its sender with 4413, stores nothing, and leaves the others be", async () => {
    const docId = uniqueDocId("too-large");
    const writer = await RawClient.connect(docId);
    const other = await RawClient.connect(docId);
    await setLimits(docId, { maxDocumentBytes: 4096 });
    const doc = new Y.Doc();
    writer.sendUpdate(textUpdate("small", doc));
    await other.waitFor("update");
    writer.sendUpdate(textUpdate("x".repeat(8000), doc));
    const closed = await writer.closed;
    expect(closed.code).toBe(CloseCode.documentTooLarge);
    expect(closed.reason).toMatch(/limit/);
    expect(await syncedText(other)).toBe("small");
    expect(other.messages.filter((m) => m.type === "update")).toHaveLength(1);

    const response = await exports.default.fetch(`http://quire.test/v1/docs/${docId}/update`, {
      method: "POST",
      headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}`, "Content-Type": "application/octet-stream" },
      body: textUpdate("y".repeat(8000)),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("document_too_large");
  });

  it("a document whose estimate is over the limit is measured before an update is refused", async () => {
    const docId = uniqueDocId("measured");
    const writer = await RawClient.connect(docId);
    await setLimits(docId, { maxDocumentBytes: 50_000 });
    const doc = new Y.Doc();
    const text = doc.getText("text");
    // Insert and delete 30 KB twice: the estimate passes 50 KB at the second insert, the document holds little.
    for (let i = 0; i < 2; i++) {
      let update: Uint8Array | null = null;
      doc.once("update", (u: Uint8Array) => (update = u));
      text.insert(0, "z".repeat(30_000));
      writer.sendUpdate(update!);
      doc.once("update", (u: Uint8Array) => (update = u));
      text.delete(0, 30_000);
      writer.sendUpdate(update!);
    }
    writer.sendUpdate(textUpdate("still fits", doc));
    expect(await syncedText(writer)).toBe("still fits");
  });

  it("a presence larger than MAX_PRESENCE_BYTES closes its sender with 4414; the attachment never overflows", async () => {
    const docId = uniqueDocId("presence-big");
    const peer = await RawClient.connect(docId);
    const sender = await RawClient.connect(docId);
    // 7,000 characters beyond Latin-1 take 14,000 bytes in the attachment, over the 8 KiB default.
    sender.send(awareness(1, 1, JSON.stringify({ name: "名".repeat(7000) })));
    const closed = await sender.closed;
    expect(closed.code).toBe(CloseCode.presenceTooLarge);
    peer.send(awareness(2, 1, JSON.stringify({ name: "名".repeat(1000) })));
    await peer.waitFor("awareness", (m) => m.update.length > 1000);
    expect(peer.messages.filter((m) => m.type === "awareness")).toHaveLength(1);
  });

  it("more presence messages per second than MAX_PRESENCE_PER_SECOND close the sender with 4530 (retryable)", async () => {
    const docId = uniqueDocId("presence-flood");
    await RawClient.connect(docId);
    await setLimits(docId, { maxPresencePerSecond: 5 });
    const flooder = await RawClient.connect(docId);
    for (let clock = 1; clock <= 50; clock++) flooder.send(awareness(1, clock, "{}"));
    expect((await flooder.closed).code).toBe(CloseCode.presenceRateExceeded);
  });

  it("more update bytes per second than MAX_UPDATE_BYTES_PER_SECOND close the sender with 4529 (retryable)", async () => {
    const docId = uniqueDocId("update-flood");
    await RawClient.connect(docId);
    await setLimits(docId, { maxUpdateBytesPerSecond: 100 });
    const flooder = await RawClient.connect(docId);
    const doc = new Y.Doc();
    for (let i = 0; i < 20; i++) flooder.sendUpdate(textUpdate("x".repeat(1000), doc));
    expect((await flooder.closed).code).toBe(CloseCode.updateRateExceeded);
  });

  it("an update bringing more new client ids than a user may add closes with 4429 and stores nothing", async () => {
    const docId = uniqueDocId("client-ids");
    const watcher = await RawClient.connect(docId);
    const writer = await RawClient.connect(docId);
    // A few editors' worth (tabs merged offline) is fine...
    writer.sendUpdate(Y.mergeUpdates(Array.from({ length: 3 }, (_, i) => textUpdate(`tab${i} `))));
    await watcher.waitFor("update");
    // ...600 at once is not: each id would slow every later edit of the document.
    writer.sendUpdate(Y.mergeUpdates(Array.from({ length: 600 }, () => textUpdate("x"))));
    expect((await writer.closed).code).toBe(CloseCode.tooManyClientIds);
    const stored = await runInDurableObject(stubFor(docId), async (object: DocumentObject) => (await object.room.withSettledDoc((doc) => doc.store.clients.size)));
    expect(stored).toBe(3);
    expect(watcher.messages.filter((m) => m.type === "update")).toHaveLength(1);
  });

  it("connections over MAX_CONNECTIONS_PER_DOCUMENT or per user are refused before the upgrade with a JSON 429", async () => {
    const docId = uniqueDocId("crowded");
    await RawClient.connect(docId, { token: await tokenFor(docId, "write", "ada") });
    await setLimits(docId, { maxConnectionsPerDocument: 3, maxConnectionsPerUser: 1 });
    const refusal = async (userId: string) => {
      const response = await exports.default.fetch(`http://quire.test/ws/${docId}?token=${await tokenFor(docId, "write", userId)}`, { headers: { Upgrade: "websocket" } });
      return { status: response.status, body: response.webSocket ? null : ((await response.json()) as { error: { code: string } }) };
    };
    expect(await refusal("ada")).toMatchObject({ status: 429, body: { error: { code: "too_many_connections" } } });
    await RawClient.connect(docId, { token: await tokenFor(docId, "write", "bob") });
    await RawClient.connect(docId, { token: await tokenFor(docId, "write", "carol") });
    expect(await refusal("dave")).toMatchObject({ status: 429, body: { error: { code: "too_many_connections" } } });
  });
});
