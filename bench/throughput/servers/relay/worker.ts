// The floor of any y-websocket server on workerd: a Durable Object that holds its clients on
// hibernatable sockets (as Quire does) and relays every update and awareness frame to every other
// client in the turn it arrives, byte for byte. No Y.Doc, no storage, no validation: nothing of a
// document server's work but the sends. A client's sync step 1 gets an empty step 2, so the
// throughput benchmark's clients and the stock provider take it for a server. It keeps no state, so
// it runs only the scenarios that relay (replay, fan-out, presence, crowd). Never deployed.
import { DurableObject } from "cloudflare:workers";
import { encodeSyncStep2, MessageType, SyncMessageType } from "../../../../src/protocol/messages.ts";

interface Env {
  RELAY: DurableObjectNamespace<Relay>;
}

/** Sync step 2 carrying an empty update (no structs, no deletions). */
const EMPTY_STEP2 = encodeSyncStep2(new Uint8Array([0, 0]));

export class Relay extends DurableObject<Env> {
  /** The open sockets, kept in memory so a relay does not ask the runtime for the list each time. */
  private readonly sockets = new Set(this.ctx.getWebSockets());

  fetch(): Response {
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    this.sockets.add(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    if (typeof message === "string" || message.byteLength < 2) return;
    // Every type and sub-type here is below 128, so each is the frame's first or second byte: no decoding.
    const frame = new Uint8Array(message);
    const sync = frame[0] === MessageType.sync;
    if (sync && frame[1] === SyncMessageType.step1) ws.send(EMPTY_STEP2);
    else if (frame[0] === MessageType.awareness || (sync && frame[1] === SyncMessageType.update)) {
      for (const other of this.sockets) if (other !== ws) other.send(frame);
    }
  }

  webSocketClose(ws: WebSocket): void {
    this.sockets.delete(ws);
  }

  webSocketError(ws: WebSocket): void {
    this.sockets.delete(ws);
  }
}

export default {
  fetch(request: Request, env: Env): Response | Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/health") return Response.json({ ok: true });
    const room = /^\/relay\/([^/]+)$/.exec(pathname)?.[1];
    if (!room || request.headers.get("Upgrade") !== "websocket") return new Response("Not found", { status: 404 });
    return env.RELAY.get(env.RELAY.idFromName(room)).fetch(request);
  },
};
