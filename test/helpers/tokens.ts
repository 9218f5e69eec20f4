// Mints client tokens through the admin REST API of a running server (Node side of the tests).
import { DEV_SECRETS } from "./wranglerDev.ts";

export type Access = "read" | "write";

export interface MintedToken {
  token: string;
  expiresAt: string | number;
  url: string;
}

/** `POST /v1/docs/:docId/tokens` with the development admin token; throws with the response body on failure. */
export async function mintToken(
  baseUrl: string,
  docId: string,
  access: Access,
  options: { userId?: string; ttlSeconds?: number } = {},
): Promise<MintedToken> {
  const response = await fetch(`${baseUrl}/v1/docs/${encodeURIComponent(docId)}/tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${DEV_SECRETS.ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ access, ...options }),
  });
  if (!response.ok) throw new Error(`minting a ${access} token failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as MintedToken;
}
