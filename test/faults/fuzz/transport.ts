// What the fuzzer needs from a WebSocket, so the same sessions run inside workerd (through the
// Worker's fetch) and in Node against `wrangler dev` (over TCP with the `ws` package).

export interface FuzzSocket {
  send(frame: Uint8Array | string): void;
  close(code: number, reason: string): void;
  /** Binary frames from the server, in order; text frames (`pong`) are not reported. */
  onFrame(listener: (frame: Uint8Array) => void): void;
  /** Resolves with the close code and reason once the socket is closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Set once closed. */
  readonly closedWith: { code: number; reason: string } | null;
}

export interface ConnectRequest {
  access: "read" | "write";
  userId: string;
  ack: boolean;
}

/** An upgrade the server refused: its HTTP status and JSON body. */
export interface Refusal {
  status: number;
  body: unknown;
}

/** Opens a connection to the fuzzed document, or reports the server's refusal. */
export type Connect = (request: ConnectRequest) => Promise<FuzzSocket | Refusal>;

export const isRefusal = (value: FuzzSocket | Refusal): value is Refusal => "status" in value;

/** A FuzzSocket over anything with the WHATWG-like event API (workerd's WebSocket). */
export function wrapEventSocket(ws: {
  send(data: Uint8Array | string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  addEventListener(type: "close", listener: (event: { code: number; reason: string }) => void): void;
}): FuzzSocket {
  let closedWith: { code: number; reason: string } | null = null;
  const listeners: Array<(frame: Uint8Array) => void> = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.addEventListener("close", (event) => {
      closedWith = { code: event.code, reason: event.reason };
      resolve(closedWith);
    }),
  );
  ws.addEventListener("message", (event) => {
    if (typeof event.data === "string") return;
    const frame = new Uint8Array(event.data as ArrayBuffer);
    for (const listener of listeners) listener(frame);
  });
  return {
    send: (frame) => {
      try {
        ws.send(frame);
      } catch {
        // Closed under us: the close event tells.
      }
    },
    close: (code, reason) => {
      try {
        ws.close(code, reason);
      } catch {
        // Already closed.
      }
    },
    onFrame: (listener) => void listeners.push(listener),
    closed,
    get closedWith() {
      return closedWith;
    },
  };
}
