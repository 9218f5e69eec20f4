// Admin API authentication: a Bearer token compared in constant time.
import { HttpError } from "../http/errors";

async function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}

/** Throws 401 unless the request carries `Authorization: Bearer <ADMIN_TOKEN>`; fails closed when unset. */
export async function requireAdmin(request: Request, adminToken: string | undefined): Promise<void> {
  if (!adminToken) throw new HttpError(503, "admin_disabled", "ADMIN_TOKEN is not configured on this server.");
  const header = request.headers.get("Authorization") ?? "";
  const presented = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
  // Hashing first gives equal lengths, which timingSafeEqual requires, without leaking the length.
  const [a, b] = await Promise.all([sha256(presented), sha256(adminToken)]);
  if (!presented || !crypto.subtle.timingSafeEqual(a, b)) {
    throw new HttpError(401, "unauthorized", "A valid admin token is required: Authorization: Bearer <ADMIN_TOKEN>.");
  }
}
