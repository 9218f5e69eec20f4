// Document ids: the only user input that names a Durable Object, so it is checked before any routing.
import { HttpError } from "../http/errors";

const DOC_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** `.` and `..` match the characters but would read as path segments in URLs and R2 keys. */
export const isValidDocId = (id: string) => DOC_ID.test(id) && id !== "." && id !== "..";

/** Returns the id or throws a 400 that says what a valid id looks like. */
export function parseDocId(raw: string | undefined): string {
  let id: string;
  try {
    id = decodeURIComponent(raw ?? "");
  } catch {
    throw new HttpError(400, "invalid_doc_id", "Document id is not valid percent-encoding.");
  }
  if (!isValidDocId(id)) {
    throw new HttpError(400, "invalid_doc_id", "Document ids are 1 to 128 characters of A-Z a-z 0-9 _ - . : (but not . or ..)");
  }
  return id;
}
