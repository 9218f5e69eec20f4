// Reading admin request input: binary update bodies with a size limit, metadata, list queries.
import * as Y from "yjs";
import { isValidDocId } from "../document/docId";
import { HttpError } from "../http/errors";
import { readJson } from "../http/body";
import { isMetadata, MAX_METADATA_BYTES, type Metadata, metadataBytes } from "../metadata/documentRecord";
import { decodeCursor, DEFAULT_LIMIT, type ListQuery, MAX_LIMIT, MAX_METADATA_FILTERS, ORDERS, type Order } from "../metadata/listing";
import { matchExpression, MAX_QUERY_LENGTH } from "../metadata/search";

/** Largest update accepted in a request body. */
export const MAX_UPDATE_BYTES = 16 * 1024 * 1024;

export const mediaType = (request: Request) => (request.headers.get("Content-Type") ?? "").split(";")[0].trim().toLowerCase();

/** Reads the whole body, refusing it (413) as soon as it passes `maxBytes`, declared or not. */
export async function readBytes(request: Request, maxBytes = MAX_UPDATE_BYTES): Promise<Uint8Array> {
  const tooLarge = () => new HttpError(413, "body_too_large", `Request bodies are limited to ${maxBytes} bytes.`);
  if (Number(request.headers.get("Content-Length") ?? 0) > maxBytes) throw tooLarge();
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** A binary Yjs update body (`application/octet-stream`), decoded once to refuse a corrupt one early. */
export async function readUpdate(request: Request): Promise<Uint8Array> {
  if (mediaType(request) !== "application/octet-stream") {
    throw new HttpError(415, "unsupported_media_type", "Send the update as application/octet-stream.");
  }
  const update = await readBytes(request);
  if (update.byteLength === 0) throw new HttpError(400, "invalid_update", "The body is empty; expected a Yjs update.");
  assertUpdate(update);
  return update;
}

export function assertUpdate(update: Uint8Array): void {
  try {
    Y.decodeUpdate(update);
  } catch {
    throw new HttpError(400, "invalid_update", "The body is not a valid Yjs update.");
  }
}

/** Operator metadata: a JSON object of bounded size. */
export function parseMetadata(value: unknown): Metadata {
  if (!isMetadata(value)) throw new HttpError(400, "invalid_metadata", "`metadata` must be a JSON object.");
  if (metadataBytes(value) > MAX_METADATA_BYTES) {
    throw new HttpError(413, "metadata_too_large", `Metadata is limited to ${MAX_METADATA_BYTES} bytes of JSON.`);
  }
  return value;
}

/** A JSON body of the form `{ "metadata": {...} }`. */
export async function readMetadataBody(request: Request): Promise<Metadata> {
  const body = await readJson(request);
  if (!isMetadata(body) || !("metadata" in body)) throw new HttpError(400, "invalid_body", "Expected a JSON object { \"metadata\": { ... } }.");
  return parseMetadata(body.metadata);
}

export function parseListQuery(url: URL): ListQuery {
  const params = url.searchParams;
  const prefix = params.get("prefix") ?? "";
  if (prefix !== "" && !isValidDocId(prefix)) {
    throw new HttpError(400, "invalid_prefix", "`prefix` must be the start of a document id: up to 128 characters of A-Z a-z 0-9 _ - . :");
  }
  const limitText = params.get("limit");
  const limit = limitText === null ? DEFAULT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT || (limitText !== null && !/^\d+$/.test(limitText))) {
    throw new HttpError(400, "invalid_limit", `\`limit\` must be an integer from 1 to ${MAX_LIMIT}.`);
  }
  const match = parseSearch(params.get("q"));
  const order = (params.get("order") ?? (match ? "relevance" : "updated")) as Order;
  if (!ORDERS.includes(order)) throw new HttpError(400, "invalid_order", `\`order\` must be one of ${ORDERS.join(", ")}.`);
  if (order === "relevance" && !match) throw new HttpError(400, "invalid_order", "`order=relevance` needs a search: `q`.");
  const cursorText = params.get("cursor");
  const after = cursorText ? decodeCursor(cursorText) : null;
  if (cursorText && (!after || after.order !== order)) {
    throw new HttpError(400, "invalid_cursor", "`cursor` must be a `nextCursor` from a listing with the same `order`.");
  }
  return { prefix, limit, order, after, match, updatedSince: parseTime(params.get("updatedSince")), metadata: parseMetadataFilters(params) };
}

/** `q`: the FTS5 expression for the words typed, or null without `q`. */
function parseSearch(text: string | null): string | null {
  if (text === null) return null;
  const expression = text.length <= MAX_QUERY_LENGTH ? matchExpression(text) : null;
  if (!expression) throw new HttpError(400, "invalid_query", `\`q\` must hold at least one word (letters or digits) in at most ${MAX_QUERY_LENGTH} characters.`);
  return expression;
}

/** `updatedSince`: an ISO 8601 date or date-time. */
function parseTime(text: string | null): number | null {
  if (text === null) return null;
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) throw new HttpError(400, "invalid_updated_since", "`updatedSince` must be an ISO 8601 date or date-time, such as 2026-11-30T12:00:00Z.");
  return ms;
}

/** `metadata.<key>=<value>` parameters: exact matches on top-level metadata values. */
function parseMetadataFilters(params: URLSearchParams): Array<{ key: string; value: string }> {
  const filters = [...params].filter(([name]) => name.startsWith("metadata.")).map(([name, value]) => ({ key: name.slice("metadata.".length), value }));
  if (filters.some(({ key }) => key === "")) throw new HttpError(400, "invalid_filter", "A metadata filter names a key: `metadata.<key>=<value>`.");
  if (filters.length > MAX_METADATA_FILTERS) throw new HttpError(400, "invalid_filter", `At most ${MAX_METADATA_FILTERS} metadata filters.`);
  return filters;
}

/** A base64url (or base64) state vector from the `sv` query parameter. */
export function parseStateVector(text: string | null): Uint8Array | null {
  if (text === null) return null;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const stateVector = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    Y.decodeStateVector(stateVector);
    return stateVector;
  } catch {
    throw new HttpError(400, "invalid_state_vector", "`sv` must be a base64url-encoded Yjs state vector.");
  }
}
