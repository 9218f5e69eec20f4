// The fuzzer's connections in Node: real TCP WebSockets to `wrangler dev` with the `ws` package.
import { WebSocket } from "ws";
import { signToken } from "../../../src/auth/tokens";
import { DEV_SECRETS } from "../../helpers/wranglerDev";
import type { Connect, FuzzSocket } from "./transport";

export function nodeConnect(wsUrl: string, docId: string): Connect {
  return async ({ access, userId, ack }) => {
    const { token } = await signToken(DEV_SECRETS.AUTH_SECRET, { sub: userId, doc: docId, access }, 3600);
    const ws = new WebSocket(`${wsUrl}/ws/${docId}?token=${token}${ack ? "&ext=ack" : ""}`, { maxPayload: 64 * 1024 * 1024 });
    ws.binaryType = "arraybuffer";
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(wrap(ws)));
      ws.once("unexpected-response", (request, response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => (body += chunk.toString()));
        response.on("end", () => {
          request.destroy();
          let parsed: unknown = body;
          try {
            parsed = JSON.parse(body);
          } catch {
            // Not JSON: report it as text.
          }
          resolve({ status: response.statusCode ?? 0, body: parsed });
        });
      });
      ws.once("error", (error) => reject(error));
    });
  };
}

function wrap(ws: WebSocket): FuzzSocket {
  let closedWith: { code: number; reason: string } | null = null;
  // After the handshake an error (a reset while sending a huge frame) is followed by a close event.
  ws.on("error", () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once("close", (code, reason) => {
      closedWith = { code, reason: reason.toString() };
      resolve(closedWith);
    }),
  );
  return {
    send: (frame) => {
      ws.send(frame);
      if (typeof frame !== "string" && frame.byteLength > 32 * 1024 * 1024) endAfterCloseFrame(ws);
    },
    close: (code, reason) => ws.close(code, reason),
    onFrame: (listener) => ws.on("message", (data, isBinary) => isBinary && listener(new Uint8Array(data as ArrayBuffer))),
    closed,
    get closedWith() {
      return closedWith;
    },
  };
}

/**
 * After a frame over the runtime's 32 MiB limit the server sends its close frame (1009) without
 * reading the rest, so `ws` cannot send its own close frame behind the unread bytes and would wait
 * its 30 s close timeout. Once the server's close frame is in (`ws` records it in a private field),
 * the socket is dropped; the close event then carries the server's code.
 */
function endAfterCloseFrame(ws: WebSocket): void {
  const internals = ws as unknown as { _closeFrameReceived?: boolean };
  const timer = setInterval(() => {
    if (ws.readyState === WebSocket.CLOSED) return clearInterval(timer);
    if (internals._closeFrameReceived) {
      clearInterval(timer);
      ws.terminate();
    }
  }, 50);
}
