// Full-text search over the document index (migrations/0003_document_search.sql): turns what a
// user types into an FTS5 query, and names the ranking.

/** Words taken from a query; more are ignored. */
export const MAX_QUERY_WORDS = 16;
/** Longest `q` accepted. */
export const MAX_QUERY_LENGTH = 256;

/**
 * The FTS5 MATCH expression for `text`: every word must occur, each as a word or the start of one
 * (`"road"*` finds "roadmap"), so partial input finds what it will find once typed out. Words are
 * runs of letters and digits, as the index's tokenizer splits them; FTS5 syntax in the input has
 * no effect. Null when the text holds no word.
 */
export function matchExpression(text: string): string | null {
  const words = (text.match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, MAX_QUERY_WORDS);
  return words.length === 0 ? null : words.map((word) => `"${word}"*`).join(" ");
}

/**
 * BM25 relevance (lower is better), with the columns weighted: a match in the title counts most,
 * then the tags and the id, then any other string value.
 */
export const RELEVANCE = "bm25(document_search, 4.0, 8.0, 4.0, 1.0)";

/** The documents matching a MATCH expression (its one parameter), each with its `score`. */
export const MATCHING_DOCUMENTS = `
  SELECT d.*, ${RELEVANCE} AS score
  FROM document_search
  JOIN document_search_keys AS k ON k.key = document_search.rowid
  JOIN documents AS d ON d.id = k.id
  WHERE document_search MATCH ?`;
