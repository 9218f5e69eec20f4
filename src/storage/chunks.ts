// Splitting BLOBs across SQLite rows: a row holds at most 2 MB, so anything larger is stored in
// CHUNK_BYTES pieces and joined again on read.

/** Largest BLOB written to one row. */
export const CHUNK_BYTES = 1024 * 1024;

/** The pieces of `bytes`, at least one (an empty BLOB is one empty piece). */
export function toChunks(bytes: Uint8Array): Uint8Array[] {
  const parts = Math.max(1, Math.ceil(bytes.byteLength / CHUNK_BYTES));
  return Array.from({ length: parts }, (_, part) => bytes.subarray(part * CHUNK_BYTES, (part + 1) * CHUNK_BYTES));
}

/** Joins pieces read back in order; a single piece is returned as it is. */
export function joinChunks(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
