// Client tokens: HS256 JWTs signed with AUTH_SECRET, scoped to one document or an id prefix.
import { errors, jwtVerify, SignJWT } from "jose";
import { HttpError } from "../http/errors";

export type Access = "read" | "write";

export interface TokenClaims {
  /** The user id. */
  sub: string;
  /** A document id, or a prefix ending in `*` that matches every id starting with it. */
  doc: string;
  access: Access;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** Issue time, seconds since the epoch, when the token carries one (tokens from `signToken` do). */
  iat?: number;
}

export const DEFAULT_TOKEN_TTL_SECONDS = 3600;
export const MAX_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

const keyFor = (secret: string) => new TextEncoder().encode(secret);

export async function signToken(secret: string, claims: Omit<TokenClaims, "exp">, ttlSeconds: number): Promise<TokenClaims & { token: string }> {
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + ttlSeconds;
  const token = await new SignJWT({ doc: claims.doc, access: claims.access })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(keyFor(secret));
  return { ...claims, exp, iat, token };
}

export const tokenCoversDoc = (scope: string, docId: string) =>
  scope.endsWith("*") ? docId.startsWith(scope.slice(0, -1)) : scope === docId;

/** Verifies a token for one document: 401 when it is missing, forged or expired, 403 when it names another document. */
export async function verifyToken(secret: string, token: string | null, docId: string): Promise<TokenClaims> {
  if (!token) throw new HttpError(401, "missing_token", "Pass a token in the `token` query parameter.");
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, keyFor(secret), { algorithms: ["HS256"], requiredClaims: ["exp", "sub"] }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new HttpError(401, "token_expired", "The token has expired.");
    throw new HttpError(401, "invalid_token", "The token is not valid.");
  }
  const { sub, doc, access, exp, iat } = payload;
  if (typeof sub !== "string" || typeof doc !== "string" || (access !== "read" && access !== "write") || typeof exp !== "number") {
    throw new HttpError(401, "invalid_token", "The token lacks the sub, doc, access or exp claim.");
  }
  if (!tokenCoversDoc(doc, docId)) throw new HttpError(403, "wrong_document", "The token does not grant access to this document.");
  return { sub, doc, access, exp, ...(typeof iat === "number" ? { iat } : {}) };
}
