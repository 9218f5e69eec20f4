import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import * as awarenessProtocol from "y-protocols/awareness";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import { decodeAwarenessUpdate, encodeAwarenessUpdate } from "../../src/protocol/awareness";
import {
  decodeMessage,
  encodeAck,
  encodeAckRequest,
  encodeAwareness,
  encodePermissionDenied,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  ProtocolError,
} from "../../src/protocol/messages";

/** The bytes y-protocols itself writes, to prove byte compatibility with stock clients. */
function reference(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
}

function sampleDoc(): Y.Doc {
  const doc = new Y.Doc();
  doc.getText("text").insert(0, "hello");
  return doc;
}

describe("sync frames", () => {
  it("are byte-identical to y-protocols' sync step 1, step 2 and update", () => {
    const doc = sampleDoc();
    const update = Y.encodeStateAsUpdate(doc);
    expect(encodeSyncStep1(Y.encodeStateVector(doc))).toEqual(
      reference((e) => {
        encoding.writeVarUint(e, 0);
        syncProtocol.writeSyncStep1(e, doc);
      }),
    );
    expect(encodeSyncStep2(update)).toEqual(
      reference((e) => {
        encoding.writeVarUint(e, 0);
        syncProtocol.writeSyncStep2(e, doc);
      }),
    );
    expect(encodeUpdate(update)).toEqual(
      reference((e) => {
        encoding.writeVarUint(e, 0);
        syncProtocol.writeUpdate(e, update);
      }),
    );
  });

  it("decode back to the payload they carry", () => {
    const update = Y.encodeStateAsUpdate(sampleDoc());
    expect(decodeMessage(encodeSyncStep2(update))).toEqual({ type: "sync-step2", update });
    expect(decodeMessage(encodeUpdate(update))).toEqual({ type: "update", update });
    const sv = Y.encodeStateVector(sampleDoc());
    expect(decodeMessage(encodeSyncStep1(sv))).toEqual({ type: "sync-step1", stateVector: sv });
  });
});

describe("other frames", () => {
  it("round-trip awareness, query-awareness, permission-denied and the ack extension", () => {
    const payload = new Uint8Array([1, 2, 3]);
    expect(decodeMessage(encodeAwareness(payload))).toEqual({ type: "awareness", update: payload });
    expect(decodeMessage(encodeQueryAwareness())).toEqual({ type: "query-awareness" });
    expect(decodeMessage(encodePermissionDenied("no"))).toEqual({ type: "permission-denied", reason: "no" });
    expect(decodeMessage(encodeAckRequest(300))).toEqual({ type: "ack-request", seq: 300 });
    expect(decodeMessage(encodeAck(7))).toEqual({ type: "ack", seq: 7 });
  });

  it("write the documented bytes", () => {
    expect([...encodeQueryAwareness()]).toEqual([3]);
    expect([...encodePermissionDenied("no")]).toEqual([2, 0, 2, 110, 111]);
    expect([...encodeAckRequest(5)]).toEqual([100, 0, 5]);
    expect([...encodeAck(200)]).toEqual([100, 1, 200, 1]);
  });
});

describe("malformed frames", () => {
  it.each([
    ["an empty frame", []],
    ["a truncated sync frame", [0, 2, 10, 1]],
    ["a frame with trailing bytes", [3, 0]],
    ["a sync frame without payload", [0, 1]],
  ])("%s is a protocol error, not an unknown type", (_, bytes) => {
    const decode = () => decodeMessage(new Uint8Array(bytes));
    expect(decode).toThrow(ProtocolError);
    try {
      decode();
    } catch (error) {
      expect((error as ProtocolError).unknownType).toBe(false);
    }
  });

  it.each([
    ["an unknown message type", [9]],
    ["an unknown sync sub-type", [0, 7, 0]],
    ["an unknown auth sub-type", [2, 3, 0]],
  ])("%s is flagged as unknown", (_, bytes) => {
    expect(() => decodeMessage(new Uint8Array(bytes))).toThrow(expect.objectContaining({ unknownType: true }));
  });
});

describe("awareness codec", () => {
  it("reads what y-protocols' Awareness writes and writes the same bytes back", () => {
    const doc = new Y.Doc();
    const awareness = new awarenessProtocol.Awareness(doc);
    awareness.setLocalState({ user: { name: "Ada", color: "#f00" }, cursor: null });
    const update = awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]);
    awareness.destroy();
    const entries = decodeAwarenessUpdate(update);
    expect(entries).toEqual([{ clientId: doc.clientID, clock: 1, state: JSON.stringify({ user: { name: "Ada", color: "#f00" }, cursor: null }) }]);
    expect(encodeAwarenessUpdate(entries)).toEqual(update);
  });

  it("refuses a state that is not JSON, so peers never receive one", () => {
    const bad = encodeAwarenessUpdate([{ clientId: 1, clock: 1, state: "{not json" }]);
    expect(() => decodeAwarenessUpdate(bad)).toThrow(ProtocolError);
  });
});
