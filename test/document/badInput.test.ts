import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DocumentObject } from "../../src/document/DocumentObject";
import { CloseCode } from "../../src/protocol/closeCodes";
import { encodeAwareness, encodeSyncStep1, encodeUpdate } from "../../src/protocol/messages";
import { encodeAwarenessUpdate } from "../../src/protocol/awareness";
import { RawClient, stubFor, textUpdate, uniqueDocId } from "../helpers/workerClient";

const cases: Array<[string, Uint8Array | string, number]> = [
  ["a frame that does not decode", new Uint8Array([0, 2, 200, 1]), CloseCode.malformedMessage],
  ["an unknown message type", new Uint8Array([42]), CloseCode.unsupportedMessage],
  ["a corrupt update", encodeUpdate(new Uint8Array([5, 200, 3, 255, 255, 9])), CloseCode.invalidUpdate],
  ["a text frame other than ping", "hello", CloseCode.malformedMessage],
  ["an invalid state vector", encodeSyncStep1(new Uint8Array([3, 1])), CloseCode.malformedMessage],
  ["an awareness state that is not JSON", encodeAwareness(encodeAwarenessUpdate([{ clientId: 1, clock: 1, state: "{oops" }])), CloseCode.malformedMessage],
  ["a server-to-client message", new Uint8Array([2, 0, 0]), CloseCode.unsupportedMessage],
];

describe("bad input", () => {
  it.each(cases)("%s closes that socket only, stores nothing, and the others carry on", async (_, frame, code) => {
    const docId = uniqueDocId("bad");
    const good = await RawClient.connect(docId);
    const other = await RawClient.connect(docId);
    const bad = await RawClient.connect(docId);
    await bad.waitFor("sync-step1");
    bad.send(frame);
    const closed = await bad.closed;
    expect(closed.code).toBe(code);
    expect(closed.reason).not.toBe("");

    good.sendUpdate(textUpdate("still fine"));
    await other.waitFor("update");
    const stats = await runInDurableObject(stubFor(docId), (object: DocumentObject) => object.log.stats());
    expect(stats.updates).toBe(1);
  });

  it("answers ping with pong without a protocol error", async () => {
    const client = await RawClient.connect(uniqueDocId("ping"));
    const pong = new Promise<string>((resolve) => client.ws.addEventListener("message", (e) => typeof e.data === "string" && resolve(e.data)));
    client.send("ping");
    expect(await pong).toBe("pong");
  });
});
