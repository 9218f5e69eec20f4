// Listing and searching the index with keyset pagination: a cursor names the last row returned, so
// pages stay stable while documents are added or removed (no offsets).
import { COLUMNS, type DocumentRow, fromRow } from "./documentIndex";
import type { DocumentRecord } from "./documentRecord";
import { MATCHING_DOCUMENTS } from "./search";

export const ORDERS = ["updated", "created", "id", "relevance"] as const;
export type Order = (typeof ORDERS)[number];

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;
/** `metadata.<key>=` filters per query. */
export const MAX_METADATA_FILTERS = 10;

/** Where the previous page ended: the sort value and id of its last row. */
export interface Cursor {
  order: Order;
  value: number | string;
  id: string;
}

export interface ListQuery {
  /** Only ids starting with this (empty: every document). */
  prefix: string;
  limit: number;
  /** `updated` and `created`: newest first; `id`: ascending; `relevance`: best match first. Ties are broken by id. */
  order: Order;
  after: Cursor | null;
  /** An FTS5 MATCH expression (src/metadata/search.ts): only documents it matches. Required by `relevance`. */
  match?: string | null;
  /** Only documents changed at or after this time (ms since the epoch). */
  updatedSince?: number | null;
  /** Only documents whose top-level metadata value (or one element of it) under `key` is exactly `value`. */
  metadata?: Array<{ key: string; value: string }>;
}

export interface ListPage {
  documents: Array<{ record: DocumentRecord; indexedAt: number }>;
  nextCursor: Cursor | null;
}

const SORT_COLUMN = { updated: "updated_at", created: "created_at", id: "id", relevance: "score" } as const;

/**
 * Ids are ASCII from a small alphabet (src/document/docId.ts), all below DEL, so every id with the
 * prefix sorts in [prefix, prefix + DEL): a range the primary key answers.
 */
const PREFIX_END = "\x7f";

export async function listDocuments(db: D1Database, query: ListQuery): Promise<ListPage> {
  const where: string[] = [];
  const bindings: Array<string | number> = [];
  if (query.prefix) {
    where.push("id >= ? AND id < ?");
    bindings.push(query.prefix, query.prefix + PREFIX_END);
  }
  if (query.updatedSince != null) {
    where.push("updated_at >= ?");
    bindings.push(query.updatedSince);
  }
  for (const { key, value } of query.metadata ?? []) {
    where.push("id IN (SELECT id FROM document_metadata_values WHERE key = ? AND value = ?)");
    bindings.push(key, value);
  }
  const column = SORT_COLUMN[query.order];
  const ascending = query.order === "id" || query.order === "relevance";
  if (query.after) {
    if (query.order === "id") where.push("id > ?");
    else where.push(`(${column}, id) ${ascending ? ">" : "<"} (?, ?)`);
    if (query.order !== "id") bindings.push(query.after.value);
    bindings.push(query.after.id);
  }
  const source = query.match ? `(${MATCHING_DOCUMENTS}) AS documents` : "documents";
  const orderBy = query.order === "id" ? "id ASC" : ascending ? `${column} ASC, id ASC` : `${column} DESC, id DESC`;
  const scoreColumn = query.match ? ", score" : "";
  const sql = `SELECT ${COLUMNS}${scoreColumn} FROM ${source} ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY ${orderBy} LIMIT ?`;
  // One row more than asked says whether another page exists without a second query.
  const { results } = await db
    .prepare(sql)
    .bind(...(query.match ? [query.match] : []), ...bindings, query.limit + 1)
    .all<DocumentRow & { score?: number }>();
  const rows = results.slice(0, query.limit);
  const last = rows.at(-1);
  return {
    documents: rows.map(fromRow),
    nextCursor: results.length > query.limit && last ? { order: query.order, value: last[column]!, id: last.id } : null,
  };
}

/** Cursors are opaque to clients: base64url of a small JSON array. */
export function encodeCursor(cursor: Cursor): string {
  const json = JSON.stringify([cursor.order, cursor.value, cursor.id]);
  return btoa(json).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Decodes a cursor made by encodeCursor; null when it is not one. */
export function decodeCursor(text: string): Cursor | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(atob(text.replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return null;
  const [order, value, id] = parsed as unknown[];
  if (!ORDERS.includes(order as Order) || typeof id !== "string") return null;
  if (order === "id" ? value !== id : !Number.isFinite(value)) return null;
  return { order: order as Order, value: value as number | string, id };
}
