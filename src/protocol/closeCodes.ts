// Every WebSocket close code Quire sends, declared once. The stock y-websocket provider (v3) stops
// reconnecting on 4400-4499 and retries on everything else, so the band is the retry decision.

export const CloseCode = {
  /** The frame does not decode as a protocol message. */
  malformedMessage: 4400,
  /** Access was revoked by an operator (`POST /v1/docs/:id/disconnect`). */
  accessRevoked: 4403,
  /** The document was deleted; reconnecting would re-create it. */
  documentDeleted: 4410,
  /** The message type is not part of the protocol, or an extension the connection did not ask for. */
  unsupportedMessage: 4415,
  /** A sync payload is not a valid Yjs update. */
  invalidUpdate: 4422,
  /** An unexpected server fault; nothing was stored for the frame that caused it. */
  internalError: 4500,
  /** The server is restarting or the document is being moved or restored; reconnect soon. */
  tryAgainLater: 4503,
} as const;

export type CloseCodeName = keyof typeof CloseCode;
export type CloseCodeValue = (typeof CloseCode)[CloseCodeName];

/** Whether reconnecting can help: false for the 4400-4499 band. */
export const isRetryable = (code: number) => !(code >= 4400 && code <= 4499);

/** The runtime closes sockets whose message exceeds this size with 1009. */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
