// /v1/docs/:docId/update and /json: a document's content as a Yjs update or as JSON, and
// server-side updates that reach live clients like any client's.
import { requireAdmin } from "../auth/adminAuth";
import { parseDocId } from "../document/docId";
import type { Env } from "../env";
import { documentStub } from "./documentStub";
import { requireIndexed } from "./documents";
import { unwrap } from "./outcome";
import { parseStateVector, readUpdate } from "./requests";
import type { AdminRequest } from "./routes";

/** GET: the full state as one binary update, or with `?sv=` only what that state vector lacks. */
export async function getUpdate(request: AdminRequest, env: Env): Promise<Response> {
  await requireAdmin(request, env.ADMIN_TOKEN);
  const docId = parseDocId(request.params.docId);
  const stateVector = parseStateVector(new URL(request.url).searchParams.get("sv"));
  await requireIndexed(env, docId);
  const update = unwrap(await documentStub(env, docId).adminEncodeState(docId, stateVector));
  return new Response(update, { headers: { "Content-Type": "application/octet-stream" } });
}

/** POST: validates, stores and broadcasts a binary update; `changed` is false when it held nothing new. */
export async function postUpdate(request: AdminRequest, env: Env): Promise<Response> {
  await requireAdmin(request, env.ADMIN_TOKEN);
  const docId = parseDocId(request.params.docId);
  const update = await readUpdate(request);
  await requireIndexed(env, docId);
  const { changed } = unwrap(await documentStub(env, docId).adminApplyUpdate(docId, update));
  return Response.json({ changed });
}

/** GET: every top-level shared type as JSON (text as a string, XML as a string), for inspection. */
export async function getJson(request: AdminRequest, env: Env): Promise<Response> {
  await requireAdmin(request, env.ADMIN_TOKEN);
  const docId = parseDocId(request.params.docId);
  await requireIndexed(env, docId);
  return Response.json(await documentStub(env, docId).adminJson(docId));
}
