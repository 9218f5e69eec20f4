import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { UpdateOutbox } from "../../client/src/updateOutbox";

function harness() {
  const sent: Uint8Array[] = [];
  const requests: number[] = [];
  let seq = 0;
  const outbox = new UpdateOutbox({
    sendUpdate: (update) => sent.push(update),
    requestAck: () => {
      requests.push(++seq);
      return seq;
    },
  });
  const doc = new Y.Doc();
  doc.on("update", (update: Uint8Array) => outbox.push(update));
  const type = (text: string) => doc.getText("t").insert(doc.getText("t").length, text);
  const textOf = (updates: Uint8Array[]) => {
    const mirror = new Y.Doc();
    for (const update of updates) Y.applyUpdate(mirror, update);
    return mirror.getText("t").toString();
  };
  return { outbox, sent, requests, type, textOf };
}

const microtasks = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("the SDK's update outbox", () => {
  it("sends the updates of one task as one frame, followed by one ack request", async () => {
    const { sent, requests, type, textOf } = harness();
    type("a");
    type("b");
    expect(sent).toHaveLength(0);
    await microtasks();
    expect(sent).toHaveLength(1);
    expect(textOf(sent)).toBe("ab");
    expect(requests).toEqual([1]);
  });

  it("merges what is typed while a frame is unacknowledged into the next frame, sent on its ack", async () => {
    const { outbox, sent, requests, type, textOf } = harness();
    type("1");
    await microtasks();
    for (const char of "2345") {
      type(char);
      await microtasks();
    }
    expect(sent).toHaveLength(1);
    outbox.acked(1);
    expect(sent).toHaveLength(2);
    const { from, to } = Y.parseUpdateMeta(sent[1]);
    const [client] = [...to.keys()];
    expect(to.get(client)! - from.get(client)!).toBe(4); // the four characters typed meanwhile
    expect(textOf(sent)).toBe("12345");
    expect(requests).toEqual([1, 2]);
  });

  it("an ack for an older request does not release the next frame", async () => {
    const { outbox, sent, type } = harness();
    type("1");
    await microtasks();
    outbox.acked(1);
    type("2");
    await microtasks();
    type("3");
    await microtasks();
    outbox.acked(1);
    expect(sent).toHaveLength(2);
    outbox.acked(2);
    expect(sent).toHaveLength(3);
  });

  it("drops what it holds when the sync exchange covers it or the connection ends", async () => {
    const { outbox, sent, type } = harness();
    type("1");
    await microtasks();
    type("2");
    outbox.coveredBySync(7);
    expect(outbox.holding).toBe(false);
    outbox.acked(1);
    expect(sent).toHaveLength(1); // waits for the ack of request 7, which followed the sync reply
    type("3");
    outbox.reset();
    await microtasks();
    expect(sent).toHaveLength(1);
    type("4");
    await microtasks();
    expect(sent).toHaveLength(2);
  });
});
