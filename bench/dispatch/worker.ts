// The smallest Durable Objects that receive WebSocket messages, for bench/dispatch/run.ts: one
// accepts its sockets for hibernation (`ctx.acceptWebSocket`, messages arrive as
// `webSocketMessage` events, as in Quire), the other accepts them in the isolate
// (`ws.accept()` and a message listener). Both only count binary messages; a text message asks
// for the count since the last such request.
import { DurableObject } from "cloudflare:workers";

interface Env {
  HIBERNATABLE: DurableObjectNamespace<Hibernatable>;
  IN_ISOLATE: DurableObjectNamespace<InIsolate>;
}

export class Hibernatable extends DurableObject<Env> {
  private count = 0;

  fetch(): Response {
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    if (typeof message === "string") {
      ws.send(String(this.count));
      this.count = 0;
    } else this.count++;
  }
}

export class InIsolate extends DurableObject<Env> {
  private count = 0;

  fetch(): Response {
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    server.addEventListener("message", (event) => {
      if (typeof event.data === "string") {
        server.send(String(this.count));
        this.count = 0;
      } else this.count++;
    });
    return new Response(null, { status: 101, webSocket: client });
  }
}

export default {
  fetch(request: Request, env: Env): Response | Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    const name = url.searchParams.get("object") ?? "default";
    const namespace = url.pathname === "/hibernatable" ? env.HIBERNATABLE : env.IN_ISOLATE;
    return namespace.getByName(name).fetch(request);
  },
} satisfies ExportedHandler<Env>;
