// POST /v1/docs/:docId/tokens: mints a client token for one document (admin only).
import { parseDocId } from "../document/docId";
import type { Env } from "../env";
import { HttpError } from "../http/errors";
import { readJson } from "../http/body";
import { requireAdmin } from "./adminAuth";
import { type Access, DEFAULT_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS, signToken } from "./tokens";

interface TokenRequest {
  access: Access;
  userId?: string;
  ttlSeconds?: number;
}

function parseTokenRequest(body: unknown): TokenRequest {
  const { access, userId, ttlSeconds } = (body ?? {}) as Record<string, unknown>;
  if (access !== "read" && access !== "write") throw new HttpError(400, "invalid_access", "`access` must be \"read\" or \"write\".");
  if (userId !== undefined && (typeof userId !== "string" || userId.length === 0 || userId.length > 256)) {
    throw new HttpError(400, "invalid_user_id", "`userId` must be a string of 1 to 256 characters.");
  }
  if (ttlSeconds !== undefined && (!Number.isInteger(ttlSeconds) || (ttlSeconds as number) < 1 || (ttlSeconds as number) > MAX_TOKEN_TTL_SECONDS)) {
    throw new HttpError(400, "invalid_ttl", `\`ttlSeconds\` must be an integer from 1 to ${MAX_TOKEN_TTL_SECONDS}.`);
  }
  return { access, userId: userId as string | undefined, ttlSeconds: ttlSeconds as number | undefined };
}

export async function issueToken(request: Request & { params: Record<string, string> }, env: Env): Promise<Response> {
  await requireAdmin(request, env.ADMIN_TOKEN);
  const docId = parseDocId(request.params.docId);
  if (!env.AUTH_SECRET) throw new HttpError(503, "auth_not_configured", "AUTH_SECRET is not set on this server.");
  const { access, userId, ttlSeconds } = parseTokenRequest(await readJson(request));
  const claims = await signToken(env.AUTH_SECRET, { sub: userId ?? `anonymous-${crypto.randomUUID()}`, doc: docId, access }, ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS);
  const origin = new URL(request.url);
  const wsOrigin = `${origin.protocol === "https:" ? "wss:" : "ws:"}//${origin.host}`;
  return Response.json({
    token: claims.token,
    expiresAt: new Date(claims.exp * 1000).toISOString(),
    url: `${wsOrigin}/ws/${encodeURIComponent(docId)}?token=${claims.token}`,
  });
}
