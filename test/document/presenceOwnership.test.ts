import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type AwarenessEntry, decodeAwarenessUpdate, encodeAwarenessUpdate } from "../../src/protocol/awareness";
import { encodeAwareness, encodeQueryAwareness } from "../../src/protocol/messages";
import { RawClient, stubFor, tokenFor, uniqueDocId } from "../helpers/workerClient";

const presence = (clientId: number, clock: number, state: unknown) =>
  encodeAwareness(encodeAwarenessUpdate([{ clientId, clock, state: JSON.stringify(state) }]));

const received = (client: RawClient): AwarenessEntry[] =>
  client.messages.flatMap((m) => (m.type === "awareness" ? decodeAwarenessUpdate(m.update) : []));

/** Connects as `userId` with write access. */
const connectAs = async (docId: string, userId: string, access: "read" | "write" = "write") =>
  RawClient.connect(docId, { token: await tokenFor(docId, access, userId) });

/** Sends an own presence and waits for its echo: everything sent before it has been handled. */
async function roundTrip(client: RawClient, clientId: number, clock: number): Promise<void> {
  client.send(presence(clientId, clock, { probe: clock }));
  await client.waitFor("awareness", () => received(client).some((e) => e.clientId === clientId && e.clock === clock));
}

describe("presence ownership", () => {
  it("a connection cannot overwrite or remove a cursor another user's connection announced", async () => {
    const docId = uniqueDocId("forge");
    const ada = await connectAs(docId, "ada");
    const mallory = await connectAs(docId, "mallory", "read");
    ada.send(presence(1, 1, { name: "Ada", cursor: 3 }));
    await mallory.waitFor("awareness", () => received(mallory).some((e) => e.clientId === 1));

    mallory.send(presence(1, 50, { name: "Ada", cursor: 999 })); // forged move
    mallory.send(encodeAwareness(encodeAwarenessUpdate([{ clientId: 1, clock: 51, state: "null" }]))); // forged removal
    await roundTrip(mallory, 66, 1); // readers may show their own presence
    await roundTrip(ada, 1, 2);

    expect(received(ada).filter((e) => e.clientId === 1).map((e) => e.clock)).toEqual([1, 2]);
    expect(received(ada).some((e) => e.clientId === 66)).toBe(true);
    // Dropped, not punished: the reader's own presence round trip above went through.
    const late = await connectAs(docId, "carol");
    late.send(encodeQueryAwareness());
    await roundTrip(late, 77, 1);
    const ada1 = received(late).filter((e) => e.clientId === 1).at(-1);
    expect(JSON.parse(ada1!.state)).toEqual({ probe: 2 });
  });

  it("on close only the ids the connection owned are removed for the others", async () => {
    const docId = uniqueDocId("close-owned");
    const ada = await connectAs(docId, "ada");
    const mallory = await connectAs(docId, "mallory");
    const bob = await connectAs(docId, "bob");
    ada.send(presence(1, 1, { name: "Ada" }));
    await mallory.waitFor("awareness", () => received(mallory).some((e) => e.clientId === 1));
    mallory.send(encodeAwareness(encodeAwarenessUpdate([{ clientId: 2, clock: 1, state: "{}" }, { clientId: 1, clock: 9, state: "{}" }])));
    await bob.waitFor("awareness", () => received(bob).some((e) => e.clientId === 2));
    mallory.close();
    await bob.waitFor("awareness", () => received(bob).some((e) => e.clientId === 2 && e.state === "null"));
    await roundTrip(bob, 3, 1);
    expect(received(bob).filter((e) => e.state === "null").map((e) => e.clientId)).toEqual([2]);
    expect(received(bob).some((e) => e.clientId === 1 && e.clock === 9)).toBe(false);
  });

  it("ownership survives hibernation: after a wake a forged entry is still dropped", async () => {
    const docId = uniqueDocId("owned-wake");
    const ada = await connectAs(docId, "ada");
    const mallory = await connectAs(docId, "mallory");
    ada.send(presence(1, 1, { name: "Ada" }));
    await mallory.waitFor("awareness", () => received(mallory).some((e) => e.clientId === 1));
    await evictDurableObject(stubFor(docId), { webSockets: "hibernate" });
    mallory.send(presence(1, 9, { name: "not Ada" }));
    await roundTrip(mallory, 5, 1);
    await roundTrip(ada, 1, 2);
    expect(received(ada).some((e) => e.clientId === 1 && e.clock === 9)).toBe(false);
  });

  it("a user's new connection takes over the id its old, still open connection announced", async () => {
    const docId = uniqueDocId("takeover");
    const old = await connectAs(docId, "ada");
    const observer = await connectAs(docId, "bob");
    old.send(presence(1, 1, { tab: "old" }));
    await observer.waitFor("awareness", () => received(observer).some((e) => e.clientId === 1));
    const fresh = await connectAs(docId, "ada");
    fresh.send(presence(1, 2, { tab: "new" }));
    await observer.waitFor("awareness", () => received(observer).some((e) => e.clientId === 1 && e.clock === 2));
    old.close(); // its close must not remove the cursor the new connection now owns
    await roundTrip(fresh, 1, 3);
    await roundTrip(observer, 8, 1);
    expect(received(observer).some((e) => e.clientId === 1 && e.state === "null")).toBe(false);
  });
});
