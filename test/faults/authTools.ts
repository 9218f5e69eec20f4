// Credentials and requests for the authorization tests inside workerd: client tokens of every
// kind that must fail, upgrades, admin calls and revocation.
import { env, exports } from "cloudflare:workers";
import { SignJWT } from "jose";
import { expect } from "vitest";
import { RawClient, tokenFor } from "../helpers/workerClient";

/** Admin REST call through the Worker with the admin token. */
export function admin(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${env.ADMIN_TOKEN}`);
  return exports.default.fetch(`http://quire.test${path}`, { ...init, headers });
}

/** A WebSocket upgrade request for `docId` with `token` (none when empty). */
export function upgrade(docId: string, token: string, headers: Record<string, string> = {}): Promise<Response> {
  const query = token ? `?token=${encodeURIComponent(token)}` : "";
  return exports.default.fetch(`http://quire.test/ws/${docId}${query}`, { headers: { Upgrade: "websocket", ...headers } });
}

export const connectWith = (docId: string, token: string, ext?: string) => RawClient.connect(docId, { token, ext });

export interface ClientTokens {
  valid: string;
  readOnly: string;
  expired: string;
  otherDocument: string;
  forged: string;
  unsigned: string;
  tampered: string;
  revoked: string;
}

const base64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** One token of each kind for `docId`; the revoked one belongs to a user revoked on that document. */
export async function clientTokens(docId: string): Promise<ClientTokens> {
  const now = Math.floor(Date.now() / 1000);
  const claims = { doc: docId, access: "write" };
  const otherDocument = await tokenFor(`${docId}-other`, "write", "ada");
  const [, otherPayload, otherSignature] = otherDocument.split(".");
  const payload = JSON.parse(atob(otherPayload.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
  const revoked = await tokenFor(docId, "write", "revoked-user");
  // Without the revoke route this token stays merely valid; the tests that need it say so.
  await revoke(docId, "revoked-user").catch(() => undefined);
  return {
    valid: await tokenFor(docId, "write", "ada"),
    readOnly: await tokenFor(docId, "read", "reader"),
    expired: await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setSubject("ada").setIssuedAt(now - 120).setExpirationTime(now - 60).sign(new TextEncoder().encode(env.AUTH_SECRET!)),
    otherDocument,
    forged: await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setSubject("mallory").setIssuedAt().setExpirationTime("1h").sign(new TextEncoder().encode("not-the-secret")),
    unsigned: `${base64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${base64url(JSON.stringify({ ...claims, sub: "mallory", iat: now, exp: now + 3600 }))}.`,
    tampered: `${otherDocument.split(".")[0]}.${base64url(JSON.stringify({ ...payload, doc: docId }))}.${otherSignature}`,
    revoked,
  };
}

/** `POST /v1/docs/:docId/revoke`; returns the revocation second and how many live sockets it closed. */
export async function revoke(docId: string, userId?: string): Promise<{ revokedAt: number; closed: number }> {
  const response = await admin(`/v1/docs/${docId}/revoke`, {
    method: "POST",
    body: JSON.stringify(userId === undefined ? {} : { userId }),
    headers: { "Content-Type": "application/json" },
  });
  const body = (await response.json()) as { revokedAt: number | string; closed: number | unknown[] };
  expect(response.status, JSON.stringify(body)).toBe(200);
  return { revokedAt: toSeconds(body.revokedAt), closed: Array.isArray(body.closed) ? body.closed.length : body.closed };
}

/** A time as seconds since the epoch, whether given as seconds, milliseconds or an ISO date. */
function toSeconds(at: number | string): number {
  if (typeof at === "string") return Math.floor(Date.parse(at) / 1000);
  return at > 1e11 ? Math.floor(at / 1000) : at;
}

/** Waits until the clock is past the second `at`, so a token issued now is issued after it. */
export async function secondsAfter(at: number): Promise<void> {
  while (Math.floor(Date.now() / 1000) <= at) await new Promise((resolve) => setTimeout(resolve, 50));
}
