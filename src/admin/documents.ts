// /v1/docs and /v1/docs/:docId: list, create, read, change metadata of, and delete documents.
import { requireAdmin } from "../auth/adminAuth";
import { parseDocId } from "../document/docId";
import type { Env } from "../env";
import { documentStub } from "./documentStub";
import { HttpError } from "../http/errors";
import { readJson } from "../http/body";
import { getDocument } from "../metadata/documentIndex";
import { isMetadata, type Metadata, toView } from "../metadata/documentRecord";
import { encodeCursor, listDocuments } from "../metadata/listing";
import { unwrap } from "./outcome";
import { assertUpdate, mediaType, parseListQuery, parseMetadata, readBytes, readMetadataBody } from "./requests";
import type { AdminRequest } from "./routes";

/** The document's index row, or 404. The index decides existence, so unknown ids never wake an object. */
export async function requireIndexed(env: Env, docId: string): Promise<{ indexedAt: number }> {
  const row = await getDocument(env.DB, docId);
  if (!row) throw new HttpError(404, "not_found", `No document "${docId}".`);
  return row;
}

export async function listDocs(request: AdminRequest, env: Env): Promise<Response> {
  await requireAdmin(request, env.ADMIN_TOKEN);
  const page = await listDocuments(env.DB, parseListQuery(new URL(request.url)));
  return Response.json({
    documents: page.documents.map(({ record, indexedAt }) => toView(record, indexedAt)),
    nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null,
  });
}

/** PUT: creates the document if it does not exist (idempotent); 201 when created, 200 when it existed. */
export async function createDoc(request: AdminRequest, env: Env): Promise<Response> {
  await requireAdmin(request, env.ADMIN_TOKEN);
  const docId = parseDocId(request.params.docId);
  const init = await readCreateBody(request);
  const { created, document } = unwrap(await documentStub(env, docId).adminCreate(docId, init));
  return Response.json(toView(document, Date.now()), { status: created ? 201 : 200 });
}

async function readCreateBody(request: Request): Promise<{ update?: Uint8Array; metadata?: Metadata }> {
  const type = mediaType(request);
  if (type === "application/octet-stream") {
    const update = await readBytes(request);
    if (update.byteLength === 0) return {};
    assertUpdate(update);
    return { update };
  }
  if (type === "application/json") {
    const body = await readJson(request);
    if (!isMetadata(body)) throw new HttpError(400, "invalid_body", "Expected a JSON object { \"metadata\": { ... } }.");
    return body.metadata === undefined ? {} : { metadata: parseMetadata(body.metadata) };
  }
  if (type === "" && (await request.arrayBuffer()).byteLength === 0) return {};
  throw new HttpError(415, "unsupported_media_type", "Send initial content as application/octet-stream or metadata as application/json.");
}

/** GET: the document as its object sees it now; the index may lag by a few seconds. */
export async function getDoc(request: AdminRequest, env: Env): Promise<Response> {
  await requireAdmin(request, env.ADMIN_TOKEN);
  const docId = parseDocId(request.params.docId);
  const { indexedAt } = await requireIndexed(env, docId);
  const info = await documentStub(env, docId).adminDetail(docId);
  if (!info) throw new HttpError(404, "not_found", `No document "${docId}".`);
  return Response.json({
    ...toView(info.record, indexedAt),
    wakes: info.wakes?.count ?? 0,
    lastWakeAt: info.wakes ? new Date(info.wakes.lastAt).toISOString() : null,
  });
}

/** PATCH: a JSON Merge Patch of the operator metadata (`null` removes a key). */
export async function patchDoc(request: AdminRequest, env: Env): Promise<Response> {
  await requireAdmin(request, env.ADMIN_TOKEN);
  const docId = parseDocId(request.params.docId);
  const patch = await readMetadataBody(request);
  await requireIndexed(env, docId);
  const record = unwrap(await documentStub(env, docId).adminPatchMetadata(docId, patch));
  return Response.json(toView(record, Date.now()));
}

/** DELETE: removes the document from its object's storage, R2 and the index; live clients get 4410. */
export async function deleteDoc(request: AdminRequest, env: Env): Promise<Response> {
  await requireAdmin(request, env.ADMIN_TOKEN);
  const docId = parseDocId(request.params.docId);
  const stub = documentStub(env, docId);
  const { existed } = await stub.adminDelete(docId);
  if (!existed) throw new HttpError(404, "not_found", `No document "${docId}".`);
  return new Response(null, { status: 204 });
}
