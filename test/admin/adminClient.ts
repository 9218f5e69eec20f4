// Calls the admin REST API of the Worker under test, with the test admin token unless told otherwise.
import { env, exports } from "cloudflare:workers";
import * as Y from "yjs";

export const BASE = "http://quire.test";

export interface AdminCall {
  /** A JSON value (sent as application/json), raw bytes (application/octet-stream) or a string sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The Authorization header: the admin token by default, `null` for none. */
  auth?: string | null;
}

export function admin(method: string, path: string, call: AdminCall = {}): Promise<Response> {
  const headers = new Headers(call.headers);
  const auth = call.auth === undefined ? `Bearer ${env.ADMIN_TOKEN}` : call.auth;
  if (auth !== null) headers.set("Authorization", auth);
  let body: BodyInit | undefined;
  if (call.body instanceof Uint8Array) {
    body = call.body;
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/octet-stream");
  } else if (typeof call.body === "string") {
    body = call.body;
  } else if (call.body !== undefined) {
    body = JSON.stringify(call.body);
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  }
  return exports.default.fetch(new Request(`${BASE}${path}`, { method, headers, body }));
}

/** Calls and parses the JSON reply, failing the test with the body when the status is not `status`. */
export async function adminJson<T = any>(method: string, path: string, status: number, call: AdminCall = {}): Promise<T> {
  const response = await admin(method, path, call);
  const text = await response.text();
  if (response.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** The error code of a JSON error reply, checking its status. */
export async function errorCode(response: Response, status: number): Promise<string> {
  const body = (await response.json()) as { error?: { code?: string; message?: string } };
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${JSON.stringify(body)}`);
  if (typeof body.error?.message !== "string") throw new Error(`not an error body: ${JSON.stringify(body)}`);
  return body.error.code!;
}

/** Creates a document through the API and returns its id. */
export async function createDoc(docId: string, body?: unknown): Promise<string> {
  await adminJson("PUT", `/v1/docs/${docId}`, 201, { body });
  return docId;
}

/** A Yjs update that builds a document with `build`. */
export function updateOf(build: (doc: Y.Doc) => void): Uint8Array {
  const doc = new Y.Doc();
  build(doc);
  return Y.encodeStateAsUpdate(doc);
}

export const base64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
