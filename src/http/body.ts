// Request body readers with size limits and JSON errors.
import { HttpError } from "./errors";

export const MAX_JSON_BYTES = 64 * 1024;

/** Parses a JSON body (an empty body is `{}`); 400 for bad JSON, 413 when too large. */
export async function readJson(request: Request, maxBytes = MAX_JSON_BYTES): Promise<unknown> {
  const text = await request.text();
  if (text.length > maxBytes) throw new HttpError(413, "body_too_large", `JSON bodies are limited to ${maxBytes} bytes.`);
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid_json", "The request body is not valid JSON.");
  }
}
