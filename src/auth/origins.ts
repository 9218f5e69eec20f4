// The browser origins allowed to open a WebSocket (ALLOWED_ORIGINS). A browser always sends
// `Origin` on a WebSocket upgrade; other clients (servers, Node) need not, and are judged by
// their token alone.
import { HttpError } from "../http/errors";

/** Parses the comma-separated list; empty means any origin. */
export const parseOrigins = (list: string | undefined) =>
  (list ?? "")
    .split(",")
    .map((origin) => origin.trim().replace(/\/+$/, ""))
    .filter(Boolean);

/** Throws a 403 when the list is set and a browser's `origin` is not on it. */
export function checkOrigin(origin: string | null, list: string | undefined): void {
  const allowed = parseOrigins(list);
  if (allowed.length === 0 || origin === null || allowed.includes("*") || allowed.includes(origin)) return;
  throw new HttpError(403, "origin_not_allowed", `Connections from ${origin} are not allowed (ALLOWED_ORIGINS).`);
}
