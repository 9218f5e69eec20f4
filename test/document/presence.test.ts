import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DocumentObject } from "../../src/document/DocumentObject";
import { type AwarenessEntry, decodeAwarenessUpdate, encodeAwarenessUpdate } from "../../src/protocol/awareness";
import { encodeAwareness, encodeQueryAwareness } from "../../src/protocol/messages";
import { RawClient, stubFor, uniqueDocId } from "../helpers/workerClient";

const presence = (clientId: number, clock: number, state: unknown) =>
  encodeAwareness(encodeAwarenessUpdate([{ clientId, clock, state: JSON.stringify(state) }]));

/**
 * Sends a presence of the client's own and waits for its echo: every frame sent before it has been
 * handled by then, so anything it would have caused has arrived (no fixed wait).
 */
async function echoOfOwn(client: RawClient, clientId: number): Promise<void> {
  client.send(presence(clientId, 1, {}));
  await client.waitFor("awareness", () => received(client).some((e) => e.clientId === clientId));
}

/** Every awareness entry a client has received, in order. */
const received = (client: RawClient): AwarenessEntry[] =>
  client.messages.flatMap((m) => (m.type === "awareness" ? decodeAwarenessUpdate(m.update) : []));

describe("presence", () => {
  it("is relayed to every connection, the sender included (keeps a lone stock client alive)", async () => {
    const docId = uniqueDocId("presence-relay");
    const alone = await RawClient.connect(docId);
    alone.send(presence(11, 1, { name: "Ada" }));
    await alone.waitFor("awareness");
    expect(received(alone)).toEqual([{ clientId: 11, clock: 1, state: '{"name":"Ada"}' }]);
  });

  it("survives hibernation: a client joining after a wake receives every peer's presence", async () => {
    const docId = uniqueDocId("presence-wake");
    const ada = await RawClient.connect(docId);
    const bob = await RawClient.connect(docId);
    ada.send(presence(1, 3, { name: "Ada" }));
    bob.send(presence(2, 1, { name: "Bob" }));
    await ada.waitFor("awareness", () => received(ada).length >= 2);

    await evictDurableObject(stubFor(docId), { webSockets: "hibernate" });
    const carol = await RawClient.connect(docId);
    await carol.waitFor("awareness");
    const states = Object.fromEntries(received(carol).map((e) => [e.clientId, JSON.parse(e.state)]));
    expect(states).toEqual({ 1: { name: "Ada" }, 2: { name: "Bob" } });
  });

  it("a presence message after a wake does not load the document", async () => {
    const docId = uniqueDocId("presence-lazy");
    const ada = await RawClient.connect(docId);
    await evictDurableObject(stubFor(docId), { webSockets: "hibernate" });
    ada.send(presence(1, 1, { name: "Ada" }));
    ada.send(encodeQueryAwareness());
    await ada.waitFor("awareness", () => received(ada).length >= 2);
    expect(await runInDurableObject(stubFor(docId), (object: DocumentObject) => object.room.isLoaded)).toBe(false);
  });

  it("is removed for everyone when its socket closes, even after a wake (no ghost cursors)", async () => {
    const docId = uniqueDocId("presence-close");
    const ada = await RawClient.connect(docId);
    const bob = await RawClient.connect(docId);
    ada.send(presence(7, 4, { cursor: 10 }));
    await bob.waitFor("awareness");
    await evictDurableObject(stubFor(docId), { webSockets: "hibernate" });
    ada.close();
    await bob.waitFor("awareness", () => received(bob).some((e) => e.clientId === 7 && e.state === "null"));
    expect(received(bob).at(-1)).toEqual({ clientId: 7, clock: 5, state: "null" });
    const dave = await RawClient.connect(docId);
    await dave.waitFor("sync-step1");
    dave.send(encodeQueryAwareness());
    await echoOfOwn(dave, 99);
    expect(received(dave)).toEqual([{ clientId: 99, clock: 1, state: "{}" }]);
  });

  it("drops a client's entry when it sends a null state itself", async () => {
    const docId = uniqueDocId("presence-null");
    const ada = await RawClient.connect(docId);
    ada.send(presence(5, 1, { name: "Ada" }));
    ada.send(encodeAwareness(encodeAwarenessUpdate([{ clientId: 5, clock: 2, state: "null" }])));
    await ada.waitFor("awareness", () => received(ada).length >= 2);
    const late = await RawClient.connect(docId);
    await late.waitFor("sync-step1");
    late.send(encodeQueryAwareness());
    await echoOfOwn(late, 99);
    expect(received(late)).toEqual([{ clientId: 99, clock: 1, state: "{}" }]);
  });
});
