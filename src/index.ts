// The Worker entry: routes HTTP requests, authenticates WebSocket upgrades and hands them to the
// document's Durable Object, and consumes the change-events queue (webhook deliveries).
import { Router } from "itty-router";
import { withAdminCors } from "./admin/cors";
import { registerAdminRoutes } from "./admin/routes";
import { createSnapshot, getSnapshotUpdate, listSnapshots, restoreSnapshot } from "./admin/snapshots";
import { issueToken } from "./auth/issueToken";
import { verifyToken } from "./auth/tokens";
import { issueDevToken } from "./dev/devTokens";
import type { Session } from "./document/connection";
import { DOC_ID_HEADER, SESSION_HEADER } from "./document/DocumentObject";
import { parseDocId } from "./document/docId";
import { checkOrigin } from "./auth/origins";
import type { Env } from "./env";
import type { EventMessage } from "./events/eventTypes";
import { consumeEvents } from "./webhooks/consumer";
import { errorResponse, HttpError, toErrorResponse } from "./http/errors";

export { DocumentObject } from "./document/DocumentObject";

type Handler = (request: Request & { params: Record<string, string> }, env: Env, ctx: ExecutionContext) => Promise<Response> | Response;

const router = Router<Request & { params: Record<string, string> }, [Env, ExecutionContext]>({
  catch: toErrorResponse,
  finally: [(response: Response | undefined) => response ?? errorResponse(404, "not_found", "No such route.")],
});

const connect: Handler = async (request, env) => {
  const docId = parseDocId(request.params.docId);
  if (!env.AUTH_SECRET) throw new HttpError(503, "auth_not_configured", "AUTH_SECRET is not set on this server.");
  checkOrigin(request.headers.get("Origin"), env.ALLOWED_ORIGINS);
  const url = new URL(request.url);
  const claims = await verifyToken(env.AUTH_SECRET, url.searchParams.get("token"), docId);
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
    throw new HttpError(426, "upgrade_required", "This endpoint accepts WebSocket upgrades only.");
  }
  const extensions = (url.searchParams.get("ext") ?? "").split(",");
  const session: Session = {
    id: crypto.randomUUID(),
    userId: claims.sub,
    access: claims.access,
    connectedAt: Date.now(),
    ack: extensions.includes("ack"),
    issuedAt: claims.iat ?? null,
  };
  const headers = new Headers(request.headers);
  headers.set(SESSION_HEADER, JSON.stringify(session));
  headers.set(DOC_ID_HEADER, docId);
  return env.DOCUMENTS.getByName(docId).fetch(new Request(request.url, { headers }));
};

router
  .get("/health", () => Response.json({ ok: true }))
  .get("/ws/:docId", connect)
  .post("/v1/docs/:docId/tokens", issueToken)
  .get("/v1/docs/:docId/snapshots", listSnapshots)
  .post("/v1/docs/:docId/snapshots", createSnapshot)
  .get("/v1/docs/:docId/snapshots/:snapshotId/update", getSnapshotUpdate)
  .post("/v1/docs/:docId/snapshots/:snapshotId/restore", restoreSnapshot)
  .post("/dev/docs/:docId/token", issueDevToken);

registerAdminRoutes(router);

export default {
  fetch: (request, env, ctx) => withAdminCors(request, env.ADMIN_CORS_ORIGINS, () => router.fetch(request, env, ctx)),
  queue: (batch, env) => consumeEvents(batch, env),
} satisfies ExportedHandler<Env, EventMessage>;
