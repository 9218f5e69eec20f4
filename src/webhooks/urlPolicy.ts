// Which URLs a webhook may point at: https only, except that local development (DEV_MODE=true)
// may also use plain http to this machine, where test receivers and tunnels listen.
import { HttpError } from "../http/errors";

export const MAX_URL_LENGTH = 2048;
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1"]);

/** The URL, normalized, or a 400 `invalid_url` saying why it is refused. */
export function checkWebhookUrl(value: unknown, devMode: boolean): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_URL_LENGTH) {
    throw new HttpError(400, "invalid_url", `\`url\` must be an absolute URL of at most ${MAX_URL_LENGTH} characters.`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new HttpError(400, "invalid_url", "`url` is not an absolute URL.");
  }
  // Credentials in the URL would be shown by every listing; put them in a query parameter instead.
  if (url.username || url.password) throw new HttpError(400, "invalid_url", "`url` must not contain a user name or password.");
  if (url.protocol === "https:") return url.href;
  if (url.protocol === "http:" && devMode && LOCAL_HOSTS.has(url.hostname)) return url.href;
  const local = devMode ? " (or, in local development, http://localhost and http://127.0.0.1)" : "";
  throw new HttpError(400, "invalid_url", `\`url\` must use https${local}.`);
}
