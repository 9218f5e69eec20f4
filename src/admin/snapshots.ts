// Admin REST handlers for a document's history: list its snapshots, compact now, read one as a
// Yjs update, restore one. The document object does the work; these check and translate.
import { requireAdmin } from "../auth/adminAuth";
import { requireIndexed } from "./documents";
import { parseDocId } from "../document/docId";
import type { Env } from "../env";
import { HttpError } from "../http/errors";
import { sha256Hex } from "../snapshots/archive";
import { convertEncoding, type UpdateEncoding } from "../snapshots/encoding";
import type { HistoryProblem, HistoryResult } from "../snapshots/history";

type AdminRequest = Request & { params: Record<string, string> };

const STATUS: Record<HistoryProblem, number> = {
  snapshot_not_found: 404,
  restore_conflict: 409,
  snapshot_unavailable: 502,
  snapshot_store_unavailable: 503,
};

function unwrap<T>(result: HistoryResult<T>): T {
  if (!result.ok) throw new HttpError(STATUS[result.problem], result.problem, result.message);
  return result.value;
}

/** The user id a restore is logged under. */
export const RESTORE_USER_ID = "admin";

/** Checks auth and the id, and that the document exists, so no route here creates storage for an unknown id. */
async function documentFor(request: AdminRequest, env: Env) {
  await requireAdmin(request, env.ADMIN_TOKEN);
  const docId = parseDocId(request.params.docId);
  await requireIndexed(env, docId);
  return { docId, stub: env.DOCUMENTS.getByName(docId) };
}

/** `GET /v1/docs/:docId/snapshots`: newest first. */
export async function listSnapshots(request: AdminRequest, env: Env): Promise<Response> {
  const { docId, stub } = await documentFor(request, env);
  return Response.json({ snapshots: await stub.listSnapshots(docId) });
}

/** `POST /v1/docs/:docId/snapshots`: 201 with a new snapshot, or 200 with the newest if nothing changed since. */
export async function createSnapshot(request: AdminRequest, env: Env): Promise<Response> {
  const { docId, stub } = await documentFor(request, env);
  const result = unwrap(await stub.createSnapshot(docId));
  return Response.json(result, { status: result.created ? 201 : 200 });
}

/**
 * `GET /v1/docs/:docId/snapshots/:snapshotId/update[?encoding=v1|v2]`: the snapshot as one binary
 * Yjs update, V1 unless V2 is asked for, after checking it against the checksum stored with it.
 */
export async function getSnapshotUpdate(request: AdminRequest, env: Env): Promise<Response> {
  const { docId, stub } = await documentFor(request, env);
  const encoding = requestedEncoding(request);
  const record = unwrap(await stub.findSnapshot(docId, request.params.snapshotId));
  const object = await env.SNAPSHOTS.get(record.key);
  if (!object) throw new HttpError(502, "snapshot_unavailable", `Snapshot ${record.seq} is listed but missing from storage.`);
  const stored = new Uint8Array(await object.arrayBuffer());
  if ((await sha256Hex(stored)) !== record.sha256) {
    throw new HttpError(502, "snapshot_unavailable", `Snapshot ${record.seq} does not match its stored checksum.`);
  }
  const body = convertEncoding(stored, record.encoding, encoding);
  return new Response(body, {
    headers: {
      "Content-Type": "application/octet-stream",
      "Content-Length": String(body.byteLength),
      "X-Quire-Snapshot-Seq": String(record.seq),
      "X-Quire-Snapshot-Sha256": record.sha256,
      "X-Quire-Snapshot-Encoding": record.encoding,
      "X-Quire-Update-Encoding": encoding,
    },
  });
}

function requestedEncoding(request: AdminRequest): UpdateEncoding {
  const asked = new URL(request.url).searchParams.get("encoding") ?? "v1";
  if (asked !== "v1" && asked !== "v2") throw new HttpError(400, "invalid_encoding", "`encoding` must be v1 or v2.");
  return asked;
}

/** `POST /v1/docs/:docId/snapshots/:snapshotId/restore`: the content becomes the snapshot's, live for every client. */
export async function restoreSnapshot(request: AdminRequest, env: Env): Promise<Response> {
  const { docId, stub } = await documentFor(request, env);
  return Response.json(unwrap(await stub.restoreSnapshot(docId, request.params.snapshotId, RESTORE_USER_ID)));
}
