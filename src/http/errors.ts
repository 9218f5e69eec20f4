// The one error type of the HTTP side, and the JSON shape every error response has.

/** An error that becomes `{ "error": { "code", "message" } }` with its status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export function errorResponse(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

/** Turns anything thrown by a handler into a JSON error response, hiding internal details. */
export function toErrorResponse(error: unknown): Response {
  if (error instanceof HttpError) return errorResponse(error.status, error.code, error.message);
  console.error("unhandled error", error);
  return errorResponse(500, "internal_error", "The server failed to handle the request.");
}
