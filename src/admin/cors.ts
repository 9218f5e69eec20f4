// CORS for the admin API (/v1): off unless ADMIN_CORS_ORIGINS lists origins (comma-separated, or
// `*` for any). Browsers then may call the API from those origins; the Bearer token is still required.

const ALLOWED_METHODS = "GET, PUT, PATCH, POST, DELETE";
const ALLOWED_HEADERS = "Authorization, Content-Type";
const MAX_AGE_SECONDS = "600";

const isAdminPath = (url: URL) => url.pathname === "/v1" || url.pathname.startsWith("/v1/");

/** The origin to allow for this request, or null when CORS does not apply to it. */
export function allowedOrigin(request: Request, allowlist: string | undefined): string | null {
  const origin = request.headers.get("Origin");
  if (!origin || !allowlist) return null;
  const allowed = allowlist.split(",").map((entry) => entry.trim()).filter(Boolean);
  return allowed.includes("*") || allowed.includes(origin) ? origin : null;
}

/**
 * Runs `next` for the request and adds the CORS headers its origin is allowed; answers /v1
 * preflight requests itself (204 when allowed, 403 when not), without authentication, as browsers
 * send preflights without credentials.
 */
export async function withAdminCors(request: Request, allowlist: string | undefined, next: () => Promise<Response>): Promise<Response> {
  const url = new URL(request.url);
  if (!isAdminPath(url)) return next();
  const origin = allowedOrigin(request, allowlist);
  if (request.method === "OPTIONS" && request.headers.has("Access-Control-Request-Method")) {
    if (!origin) return Response.json({ error: { code: "cors_forbidden", message: "This origin may not call the admin API." } }, { status: 403 });
    return new Response(null, {
      status: 204,
      headers: {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": ALLOWED_METHODS,
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": MAX_AGE_SECONDS,
        Vary: "Origin",
      },
    });
  }
  const response = await next();
  if (!origin) return response;
  const headers = new Headers(response.headers);
  headers.set("Access-Control-Allow-Origin", origin);
  headers.append("Vary", "Origin");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
