// Which document the demo edits, and where its tokens come from.

const DOC_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** The id from `?doc=`; without one, a new id written into the URL so the address can be shared. */
export function pickDocId(): string {
  const url = new URL(location.href);
  const requested = url.searchParams.get("doc");
  if (requested && DOC_ID.test(requested)) return requested;
  const id = `doc-${crypto.randomUUID().slice(0, 8)}`;
  url.searchParams.set("doc", id);
  history.replaceState(null, "", url);
  return id;
}

/**
 * A token from `?token=` when the embedding page passes one; otherwise a fresh one from the local
 * development endpoint, fetched on every connection attempt.
 */
export function tokenSource(docId: string, warn: (text: string) => void): string | (() => Promise<string>) {
  const given = new URL(location.href).searchParams.get("token");
  if (given) return given;
  return async () => {
    const response = await fetch(`/dev/docs/${encodeURIComponent(docId)}/token`, { method: "POST" });
    if (response.status === 404) {
      warn("This server does not mint demo tokens: set DEV_MODE=true in .dev.vars (local development only), or pass ?token=.");
    }
    if (!response.ok) throw new Error(`token request failed with ${response.status}`);
    return ((await response.json()) as { token: string }).token;
  };
}
