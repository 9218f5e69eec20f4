import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { Connection, Session } from "../../src/document/connection";
import type { BatchRecord } from "../../src/document/groupCommit";
import { DocumentRoom, type DocumentStore } from "../../src/document/room";
import type { AwarenessEntry } from "../../src/protocol/awareness";
import { encodeAwarenessUpdate } from "../../src/protocol/awareness";
import { decodeMessage, encodeAckRequest, encodeAwareness, encodeSyncStep1, encodeUpdate, type Message } from "../../src/protocol/messages";

/** A store whose commits become durable only when the test says so. */
class GatedStore implements DocumentStore {
  readonly batches: BatchRecord[] = [];
  private gates: Array<() => void> = [];
  /** Something was written that is not yet durable. */
  private dirty = false;
  failNext = false;

  load(doc: Y.Doc): void {
    for (const batch of this.batches) Y.applyUpdate(doc, batch.update);
  }

  append(batch: BatchRecord): void {
    if (this.failNext) {
      this.failNext = false;
      throw new Error("disk full");
    }
    this.batches.push(batch);
    this.dirty = true;
  }

  synced(): Promise<void> {
    if (!this.dirty) return Promise.resolve();
    return new Promise((resolve) => this.gates.push(resolve));
  }

  /** The commit in flight becomes durable. */
  commit(): void {
    this.dirty = false;
    const gates = this.gates;
    this.gates = [];
    for (const open of gates) open();
  }

  /** The stored log, replayed into a fresh document. */
  text(): string {
    const doc = new Y.Doc();
    for (const batch of this.batches) Y.applyUpdate(doc, batch.update);
    return doc.getText("text").toString();
  }
}

class FakeConnection implements Connection {
  readonly received: Message[] = [];
  closedWith: { code: number; reason: string } | null = null;
  presence: readonly AwarenessEntry[] = [];
  readonly session: Session;

  constructor(id: string, ack = true) {
    this.session = { id, userId: `user-${id}`, access: "write", connectedAt: 0, ack, issuedAt: null };
  }

  setPresence(entries: AwarenessEntry[]): void {
    this.presence = entries;
  }

  send(frame: Uint8Array): void {
    this.received.push(decodeMessage(frame));
  }

  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
  }

  updates(): Uint8Array[] {
    return this.received.flatMap((m) => (m.type === "update" || m.type === "sync-step2" ? [m.update] : []));
  }

  acks(): number[] {
    return this.received.flatMap((m) => (m.type === "ack" ? [m.seq] : []));
  }
}

function setup(names: string[]) {
  const store = new GatedStore();
  const connections = names.map((name) => new FakeConnection(name));
  const room = new DocumentRoom(store, () => connections);
  return { store, room, connections };
}

/** Successive one-character inserts by one client, one update each. */
function typist(): (text: string) => Uint8Array {
  const doc = new Y.Doc();
  return (text) => {
    let update: Uint8Array | null = null;
    doc.once("update", (u: Uint8Array) => (update = u));
    doc.getText("text").insert(doc.getText("text").length, text);
    return update!;
  };
}

/**
 * Lets every queued microtask run, and the group commit's collecting passes (0 ms timers, at most
 * one more once nothing new arrives): each macrotask here comes after the pass queued before it.
 */
const drain = async () => {
  for (let pass = 0; pass < 3; pass++) await new Promise((resolve) => setTimeout(resolve, 0));
};

const awareness = (clientId: number, clock: number) => encodeAwareness(encodeAwarenessUpdate([{ clientId, clock, state: "{}" }]));

describe("group commit", () => {
  it("a lone update is written and relayed at once, without waiting for an earlier commit", async () => {
    const { store, room, connections } = setup(["a", "b"]);
    const [a, b] = connections;
    await room.receive(a, frame(encodeUpdate(typist()("x"))));
    expect(store.batches).toHaveLength(1);
    expect(b.updates()).toHaveLength(1);
    expect(a.updates()).toHaveLength(0);
  });

  it("updates arriving during a commit are buffered, then written as one row and relayed as one frame", async () => {
    const { store, room, connections } = setup(["a", "b"]);
    const [a, b] = connections;
    const type = typist();
    await room.receive(a, frame(encodeUpdate(type("1"))));
    for (const char of "234") await room.receive(a, frame(encodeUpdate(type(char))));
    await room.receive(a, frame(encodeAckRequest(9)));
    await drain();
    // Buffered: not written, not relayed, not acknowledged.
    expect(store.batches).toHaveLength(1);
    expect(b.updates()).toHaveLength(1);
    expect(a.acks()).toEqual([]);

    store.commit();
    await drain();
    expect(store.batches.map((batch) => batch.updates)).toEqual([1, 3]);
    expect(store.text()).toBe("1234");
    expect(b.updates()).toHaveLength(2);
    const reader = new Y.Doc();
    for (const update of b.updates()) Y.applyUpdate(reader, update);
    expect(reader.getText("text").toString()).toBe("1234");
    expect(a.acks()).toEqual([9]);
  });

  it("an ack with nothing buffered is sent at once, behind the commit in flight", async () => {
    const { room, connections } = setup(["a"]);
    const [a] = connections;
    await room.receive(a, frame(encodeUpdate(typist()("x"))));
    await room.receive(a, frame(encodeAckRequest(1)));
    expect(a.acks()).toEqual([1]);
  });

  it("presence is relayed at once while updates wait for their commit", async () => {
    const { room, connections } = setup(["a", "b"]);
    const [a, b] = connections;
    const type = typist();
    await room.receive(a, frame(encodeUpdate(type("1"))));
    await room.receive(a, frame(encodeUpdate(type("2"))));
    await room.receive(a, frame(awareness(7, 1)));
    expect(b.received.map((m) => m.type)).toEqual(["update", "awareness"]);
  });

  it("a joining client's sync step 2 and an admin read wait for the buffered batch", async () => {
    const { store, room, connections } = setup(["a", "b"]);
    const [a, b] = connections;
    const type = typist();
    await room.receive(a, frame(encodeUpdate(type("1"))));
    await room.receive(a, frame(encodeUpdate(type("2"))));
    await room.receive(b, frame(encodeSyncStep1(Y.encodeStateVector(new Y.Doc()))));
    let read: string | null = null;
    const reading = room.withSettledDoc((doc) => (read = doc.getText("text").toString()));
    await drain();
    expect(b.received.filter((m) => m.type === "sync-step2")).toHaveLength(0);
    expect(read).toBeNull();

    store.commit();
    await reading;
    expect(read).toBe("12");
    expect(store.text()).toBe("12"); // what the read saw was written before it ran
    const reply = b.received.find((m) => m.type === "sync-step2");
    expect(reply).toBeDefined();
    const joined = new Y.Doc();
    Y.applyUpdate(joined, (reply as { update: Uint8Array }).update);
    expect(joined.getText("text").toString()).toBe("12");
  });

  it("messages of several connections keep each connection's order, and every ack follows its sender's updates", async () => {
    const { store, room, connections } = setup(["a", "b", "c"]);
    const [a, b, c] = connections;
    const typeA = typist();
    const typeB = typist();
    await room.receive(a, frame(encodeUpdate(typeA("a"))));
    await room.receive(b, frame(encodeUpdate(typeB("b"))));
    await room.receive(a, frame(encodeAckRequest(1)));
    await room.receive(b, frame(encodeUpdate(typeB("B"))));
    await room.receive(b, frame(encodeAckRequest(1)));
    expect([a.acks(), b.acks()]).toEqual([[], []]);
    store.commit();
    await drain();
    expect([a.acks(), b.acks()]).toEqual([[1], [1]]);
    expect(store.batches.map((batch) => [batch.updates, batch.userId])).toEqual([[1, "user-a"], [2, "user-b"]]);
    const observer = new Y.Doc();
    for (const update of c.updates()) Y.applyUpdate(observer, update);
    expect(observer.getText("text").length).toBe(3);
  });

  it("a batch that cannot be written is neither relayed nor acknowledged; its senders are closed to resend", async () => {
    const { store, room, connections } = setup(["a", "b"]);
    const [a, b] = connections;
    const type = typist();
    await room.receive(a, frame(encodeUpdate(type("1"))));
    await room.receive(a, frame(encodeUpdate(type("2"))));
    await room.receive(a, frame(encodeAckRequest(5)));
    store.failNext = true;
    store.commit();
    await drain();
    expect(a.closedWith?.code).toBe(4500);
    expect(a.acks()).toEqual([]);
    expect(b.updates()).toHaveLength(1);
    expect(b.closedWith).toBeNull();
    // The room reloads from storage: only the first update is there.
    const text = await room.withSettledDoc((doc) => doc.getText("text").toString());
    expect(text).toBe("1");
  });

  it("a duplicate is neither stored nor relayed", async () => {
    const { store, room, connections } = setup(["a", "b"]);
    const [a, b] = connections;
    const update = typist()("x");
    await room.receive(a, frame(encodeUpdate(update)));
    store.commit();
    await drain();
    await room.receive(a, frame(encodeUpdate(update)));
    await drain();
    expect(store.batches).toHaveLength(1);
    expect(b.updates()).toHaveLength(1);
  });

  it("an update waiting for missing dependencies is stored once, and duplicates after it are not stored", async () => {
    const { store, room, connections } = setup(["a"]);
    const [a] = connections;
    const type = typist();
    type("1");
    const orphan = type("2"); // depends on "1", which never arrives
    const other = typist()("z");
    await room.receive(a, frame(encodeUpdate(orphan)));
    store.commit();
    await room.receive(a, frame(encodeUpdate(other)));
    store.commit();
    await drain();
    await room.receive(a, frame(encodeUpdate(other)));
    await room.receive(a, frame(encodeUpdate(orphan)));
    store.commit();
    await drain();
    expect(store.batches.map((batch) => batch.updates)).toEqual([1, 1]);
  });
});

function frame(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
