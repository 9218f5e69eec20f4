// POST /dev/docs/:docId/token: local development only. Lets the demo page mint a write token for a
// document without the admin token. Off unless DEV_MODE is "true" (set in .dev.vars.example, never
// in wrangler.jsonc) and the request comes from a loopback address to a loopback host.
//
// The client address is the CF-Connecting-IP header, which the local runtime sets from the socket
// when the client did not send one (Cloudflare always sets it). A client on the network could send
// its own, so `npm start` turns DEV_MODE off when asked to listen beyond loopback (scripts/start.mjs).
import { signToken } from "../auth/tokens";
import { parseDocId } from "../document/docId";
import type { Env } from "../env";
import { HttpError } from "../http/errors";

/** Short, so a demo tab exercises the SDK's token refresh on reconnect. */
const DEV_TOKEN_TTL_SECONDS = 15 * 60;

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
const LOOPBACK_ADDRESS = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

export type DevEnv = Env & { DEV_MODE?: string };

export const devModeEnabled = (request: Request, env: DevEnv) =>
  env.DEV_MODE === "true" &&
  LOOPBACK_HOSTS.has(new URL(request.url).hostname) &&
  LOOPBACK_ADDRESS.test(request.headers.get("CF-Connecting-IP") ?? "");

export async function issueDevToken(request: Request & { params: Record<string, string> }, env: DevEnv): Promise<Response> {
  if (!devModeEnabled(request, env)) throw new HttpError(404, "not_found", "No such route.");
  const docId = parseDocId(request.params.docId);
  if (!env.AUTH_SECRET) throw new HttpError(503, "auth_not_configured", "AUTH_SECRET is not set on this server.");
  const claims = await signToken(env.AUTH_SECRET, { sub: `dev-${crypto.randomUUID()}`, doc: docId, access: "write" }, DEV_TOKEN_TTL_SECONDS);
  return Response.json({ token: claims.token, expiresAt: new Date(claims.exp * 1000).toISOString() });
}
