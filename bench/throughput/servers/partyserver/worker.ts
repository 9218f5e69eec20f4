// PartyKit's y-partyserver as its users deploy it on Workers: `YServer` as the Durable Object, in
// memory (no onLoad/onSave), routed by partyserver's `routePartykitRequest` at /parties/:party/:room.
// Two parties: `y-server` with partyserver's default (sockets held with event listeners, so the
// object stays in memory while anyone is connected) and `y-hibernating` with `hibernate: true`
// (the Hibernation API, as Quire uses). Run by the throughput benchmark; never deployed.
import { routePartykitRequest } from "partyserver";
import { YServer as YServerDefault } from "y-partyserver";

export class YServer extends YServerDefault {}

export class YHibernating extends YServerDefault {
  static options = { hibernate: true };
}

export default {
  async fetch(request: Request, env: Record<string, unknown>): Promise<Response> {
    if (new URL(request.url).pathname === "/health") return Response.json({ ok: true });
    return (await routePartykitRequest(request, env)) ?? new Response("Not found", { status: 404 });
  },
};
