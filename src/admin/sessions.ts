// /v1/docs/:docId/connections, /disconnect and /revoke: who is connected, closing their
// connections, and revoking their access.
import { requireAdmin } from "../auth/adminAuth";
import type { Session } from "../document/connection";
import { parseDocId } from "../document/docId";
import type { Env } from "../env";
import { documentStub } from "./documentStub";
import { HttpError } from "../http/errors";
import { readJson } from "../http/body";
import { getDocument } from "../metadata/documentIndex";
import { isMetadata } from "../metadata/documentRecord";
import { requireIndexed } from "./documents";
import type { AdminRequest } from "./routes";

const view = (session: Session) => ({
  sessionId: session.id,
  userId: session.userId,
  access: session.access,
  connectedAt: new Date(session.connectedAt).toISOString(),
});

export async function getConnections(request: AdminRequest, env: Env): Promise<Response> {
  await requireAdmin(request, env.ADMIN_TOKEN);
  const docId = parseDocId(request.params.docId);
  await requireIndexed(env, docId);
  const sessions = await documentStub(env, docId).adminSessions(docId);
  return Response.json({ connections: sessions.map(view) });
}

/**
 * POST: closes every connection, or those of `userId` or one `sessionId`, with close code 4403,
 * which stock providers do not retry. A client holding a valid token may connect again: to keep
 * it out, use /revoke.
 */
export async function postDisconnect(request: AdminRequest, env: Env): Promise<Response> {
  await requireAdmin(request, env.ADMIN_TOKEN);
  const docId = parseDocId(request.params.docId);
  const filter = parseFilter(await readJson(request));
  await requireIndexed(env, docId);
  const closed = await documentStub(env, docId).adminDisconnect(docId, filter);
  return Response.json({ closed: closed.map(view) });
}

function parseFilter(body: unknown): { userId?: string; sessionId?: string } {
  if (!isMetadata(body)) throw new HttpError(400, "invalid_body", "Expected a JSON object (it may be empty).");
  const { userId, sessionId } = body;
  for (const [name, value] of Object.entries({ userId, sessionId })) {
    if (value !== undefined && (typeof value !== "string" || value.length === 0 || value.length > 256)) {
      throw new HttpError(400, `invalid_${name === "userId" ? "user_id" : "session_id"}`, `\`${name}\` must be a string of 1 to 256 characters.`);
    }
  }
  return { userId: userId as string | undefined, sessionId: sessionId as string | undefined };
}

/**
 * POST `{ userId? }`: closes the user's (or everyone's) connections with 4403 and refuses, from now
 * on, their tokens for this document issued at or before this second.
 */
export async function postRevoke(request: AdminRequest, env: Env): Promise<Response> {
  await requireAdmin(request, env.ADMIN_TOKEN);
  const docId = parseDocId(request.params.docId);
  const { userId, sessionId } = parseFilter(await readJson(request));
  if (sessionId !== undefined) throw new HttpError(400, "invalid_body", "Revocation is by `userId` (or everyone); a session is closed with /disconnect.");
  // A document a client has just opened may not be in the index yet: the object itself decides then.
  const indexed = (await getDocument(env.DB, docId)) !== null;
  const result = await documentStub(env, docId).adminRevoke(docId, userId ?? null, !indexed);
  if (!result) throw new HttpError(404, "not_found", `No document "${docId}".`);
  return Response.json({ revokedAt: new Date(result.revokedAt * 1000).toISOString(), closed: result.closed.map(view) });
}
