// Awareness (presence) updates in the y-protocols encoding, written by hand so that no benchmark
// client runs the Awareness class and its renewal timers: count, then per client its id, clock and
// state as JSON text (see y-protocols' awareness.js, encodeAwarenessUpdate).
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";

export interface PresenceEntry {
  clientID: number;
  clock: number;
  /** The state's JSON text; "null" when the client left. */
  state: string;
}

/** One client's state as an awareness update. */
export function encodePresence(clientID: number, clock: number, state: unknown): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 1);
  encoding.writeVarUint(encoder, clientID);
  encoding.writeVarUint(encoder, clock);
  encoding.writeVarString(encoder, JSON.stringify(state));
  return encoding.toUint8Array(encoder);
}

/** Every entry of an awareness update, as servers relay them (one or several clients per update). */
export function decodePresence(update: Uint8Array): PresenceEntry[] {
  const decoder = decoding.createDecoder(update);
  const entries: PresenceEntry[] = [];
  const count = decoding.readVarUint(decoder);
  for (let i = 0; i < count; i++) {
    entries.push({ clientID: decoding.readVarUint(decoder), clock: decoding.readVarUint(decoder), state: decoding.readVarString(decoder) });
  }
  return entries;
}
