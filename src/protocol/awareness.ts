// Codec for awareness (presence) updates, so the server can keep presence without the
// y-protocols Awareness class, whose constructor starts a setInterval and so prevents hibernation.
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { ProtocolError } from "./messages";

/** One client's presence: `state` is the JSON text as sent, `"null"` when the client left. */
export interface AwarenessEntry {
  clientId: number;
  clock: number;
  state: string;
}

/** Decodes an awareness update, checking that every state is valid JSON so peers never choke on it. */
export function decodeAwarenessUpdate(update: Uint8Array): AwarenessEntry[] {
  const decoder = decoding.createDecoder(update);
  const entries: AwarenessEntry[] = [];
  try {
    const count = decoding.readVarUint(decoder);
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(decoder);
      const clock = decoding.readVarUint(decoder);
      const state = decoding.readVarString(decoder);
      JSON.parse(state);
      entries.push({ clientId, clock, state });
    }
  } catch {
    throw new ProtocolError("awareness update is malformed");
  }
  if (decoding.hasContent(decoder)) throw new ProtocolError("awareness update has trailing bytes");
  return entries;
}

export function encodeAwarenessUpdate(entries: readonly AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const { clientId, clock, state } of entries) {
    encoding.writeVarUint(encoder, clientId);
    encoding.writeVarUint(encoder, clock);
    encoding.writeVarString(encoder, state);
  }
  return encoding.toUint8Array(encoder);
}

export const isRemoval = (entry: AwarenessEntry) => entry.state === "null";
