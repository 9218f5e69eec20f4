// The WebSocket address of a document on a Quire server.

/**
 * `origin` is the server's address: `https://quire.example.com`, `wss://...` or
 * `http://localhost:8787`, optionally with a path prefix. The token travels in the query string
 * because browsers cannot set headers on a WebSocket upgrade.
 */
export function socketUrl(origin: string, docId: string, token: string): string {
  const url = new URL(origin);
  if (url.protocol === "https:") url.protocol = "wss:";
  else if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol !== "ws:" && url.protocol !== "wss:") throw new TypeError(`unsupported server URL ${origin}`);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/ws/${encodeURIComponent(docId)}`;
  url.search = new URLSearchParams({ token, ext: "ack" }).toString();
  url.hash = "";
  return url.toString();
}
