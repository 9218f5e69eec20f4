// Every WebSocket close code Quire sends, declared once. The stock y-websocket provider (v3) stops
// reconnecting on 4400-4499 and retries on everything else, so the band is the retry decision.

export const CloseCode = {
  /** The frame does not decode as a protocol message. */
  malformedMessage: 4400,
  /** Access was revoked by an operator (`POST /v1/docs/:id/revoke` or `/disconnect`). */
  accessRevoked: 4403,
  /** The document was deleted; reconnecting would re-create it. */
  documentDeleted: 4410,
  /** The update would grow the document past MAX_DOCUMENT_BYTES; nothing of it was stored. */
  documentTooLarge: 4413,
  /** A presence (awareness) state is larger than MAX_PRESENCE_BYTES. */
  presenceTooLarge: 4414,
  /** The message type is not part of the protocol, or an extension the connection did not ask for. */
  unsupportedMessage: 4415,
  /** A sync payload is not a valid Yjs update. */
  invalidUpdate: 4422,
  /** The user brought more new Yjs client ids than MAX_NEW_CLIENT_IDS_PER_MINUTE allows (each one slows every later edit). */
  tooManyClientIds: 4429,
  /** An unexpected server fault; nothing was acknowledged for the frame that caused it. */
  internalError: 4500,
  /** The document could not be loaded just now (its snapshot store is unreachable); reconnect soon. */
  tryAgainLater: 4503,
  /** Nothing was heard from the client (no message, no heartbeat) for too long; a live client reconnects. */
  connectionTimedOut: 4508,
  /** The connection's user sent more update bytes per second than MAX_UPDATE_BYTES_PER_SECOND allows. */
  updateRateExceeded: 4529,
  /** The connection sent more presence messages per second than MAX_PRESENCE_PER_SECOND allows. */
  presenceRateExceeded: 4530,
} as const;

export type CloseCodeName = keyof typeof CloseCode;
export type CloseCodeValue = (typeof CloseCode)[CloseCodeName];

/** Whether reconnecting can help: false for the 4400-4499 band. */
export const isRetryable = (code: number) => !(code >= 4400 && code <= 4499);

/** The runtime closes sockets whose message exceeds this size with 1009. */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
