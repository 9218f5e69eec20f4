// The y-websocket wire protocol (y-protocols v1) plus Quire's opt-in ack extension.
// Runtime-neutral: shared by the Durable Object and the browser SDK. Byte layouts are in PROTOCOL.md.
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";

/** Top-level message types: the first varUint of every frame. */
export const MessageType = {
  sync: 0,
  awareness: 1,
  auth: 2,
  queryAwareness: 3,
  /** Quire extension, only for connections that asked for it with `?ext=ack`. */
  ack: 100,
} as const;

/** Sub-types of a sync message. */
export const SyncMessageType = { step1: 0, step2: 1, update: 2 } as const;

/** Sub-types of an auth message; y-protocols defines only permission-denied. */
export const AuthMessageType = { permissionDenied: 0 } as const;

/** Sub-types of the ack extension. */
export const AckMessageType = { request: 0, ack: 1 } as const;

export type Message =
  | { type: "sync-step1"; stateVector: Uint8Array }
  | { type: "sync-step2"; update: Uint8Array }
  | { type: "update"; update: Uint8Array }
  | { type: "awareness"; update: Uint8Array }
  | { type: "query-awareness" }
  | { type: "permission-denied"; reason: string }
  | { type: "ack-request"; seq: number }
  | { type: "ack"; seq: number };

/** A frame that is not a well-formed message. `unknownType` separates unsupported types from garbage. */
export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly unknownType = false,
  ) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** Decodes one frame into exactly one message; trailing bytes or truncation throw a ProtocolError. */
export function decodeMessage(frame: Uint8Array): Message {
  const decoder = decoding.createDecoder(frame);
  let message: Message;
  try {
    message = readMessage(decoder);
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    throw new ProtocolError("frame is truncated or malformed");
  }
  if (decoding.hasContent(decoder)) throw new ProtocolError("frame has trailing bytes");
  return message;
}

function readMessage(decoder: decoding.Decoder): Message {
  const type = decoding.readVarUint(decoder);
  switch (type) {
    case MessageType.sync:
      return readSyncMessage(decoder);
    case MessageType.awareness:
      return { type: "awareness", update: decoding.readVarUint8Array(decoder) };
    case MessageType.queryAwareness:
      return { type: "query-awareness" };
    case MessageType.auth: {
      const subType = decoding.readVarUint(decoder);
      if (subType !== AuthMessageType.permissionDenied) throw new ProtocolError(`unknown auth message ${subType}`, true);
      return { type: "permission-denied", reason: decoding.readVarString(decoder) };
    }
    case MessageType.ack: {
      const subType = decoding.readVarUint(decoder);
      const seq = decoding.readVarUint(decoder);
      if (subType === AckMessageType.request) return { type: "ack-request", seq };
      if (subType === AckMessageType.ack) return { type: "ack", seq };
      throw new ProtocolError(`unknown ack message ${subType}`, true);
    }
    default:
      throw new ProtocolError(`unknown message type ${type}`, true);
  }
}

function readSyncMessage(decoder: decoding.Decoder): Message {
  const subType = decoding.readVarUint(decoder);
  const payload = decoding.readVarUint8Array(decoder);
  switch (subType) {
    case SyncMessageType.step1:
      return { type: "sync-step1", stateVector: payload };
    case SyncMessageType.step2:
      return { type: "sync-step2", update: payload };
    case SyncMessageType.update:
      return { type: "update", update: payload };
    default:
      throw new ProtocolError(`unknown sync message ${subType}`, true);
  }
}

function frame(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
}

function syncFrame(subType: number, payload: Uint8Array): Uint8Array {
  return frame((encoder) => {
    encoding.writeVarUint(encoder, MessageType.sync);
    encoding.writeVarUint(encoder, subType);
    encoding.writeVarUint8Array(encoder, payload);
  });
}

export const encodeSyncStep1 = (stateVector: Uint8Array) => syncFrame(SyncMessageType.step1, stateVector);
export const encodeSyncStep2 = (update: Uint8Array) => syncFrame(SyncMessageType.step2, update);
export const encodeUpdate = (update: Uint8Array) => syncFrame(SyncMessageType.update, update);

export const encodeAwareness = (awarenessUpdate: Uint8Array) =>
  frame((encoder) => {
    encoding.writeVarUint(encoder, MessageType.awareness);
    encoding.writeVarUint8Array(encoder, awarenessUpdate);
  });

export const encodeQueryAwareness = () => frame((encoder) => encoding.writeVarUint(encoder, MessageType.queryAwareness));

export const encodePermissionDenied = (reason: string) =>
  frame((encoder) => {
    encoding.writeVarUint(encoder, MessageType.auth);
    encoding.writeVarUint(encoder, AuthMessageType.permissionDenied);
    encoding.writeVarString(encoder, reason);
  });

function ackFrame(subType: number, seq: number): Uint8Array {
  return frame((encoder) => {
    encoding.writeVarUint(encoder, MessageType.ack);
    encoding.writeVarUint(encoder, subType);
    encoding.writeVarUint(encoder, seq);
  });
}

/** Client to server: "acknowledge every frame I sent before this one". */
export const encodeAckRequest = (seq: number) => ackFrame(AckMessageType.request, seq);
/** Server to client: every frame before the request `seq` is processed and its updates are durable. */
export const encodeAck = (seq: number) => ackFrame(AckMessageType.ack, seq);
