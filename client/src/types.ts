// The provider's public types: options, events, the WebSocket it needs, and its error.
import type * as awarenessProtocol from "y-protocols/awareness";
import type * as Y from "yjs";
import type { BackoffOptions } from "./backoff";
import type { HeartbeatOptions } from "./heartbeat";
import type { SaveState } from "./saveTracker";

export type ConnectionStatus = "connecting" | "connected" | "disconnected";

/** The part of the WebSocket API the provider uses; the browser's, `ws` and undici's all fit. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: any) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** A token, or a function that returns one; the function is called before every connection attempt. */
export type TokenSource = string | (() => string | Promise<string>);

export interface QuireProviderOptions {
  /** The server's origin: `https://quire.example.com`, `wss://...` or `http://localhost:8787`. */
  url: string;
  docId: string;
  doc: Y.Doc;
  /** A token string, or an (async) function called on every connect and reconnect. */
  token: TokenSource;
  /** Presence to share; by default a new Awareness for `doc`, destroyed with the provider. */
  awareness?: awarenessProtocol.Awareness;
  /** Connect at once. Default true; with false, call `connect()`. */
  connect?: boolean;
  /** The WebSocket class, for Node (`ws`) or tests. Default: the global WebSocket. */
  WebSocketPolyfill?: WebSocketConstructor;
  /** Reconnect delays: full-jitter exponential backoff. */
  backoff?: Partial<BackoffOptions>;
  /** Dead-connection detection through the server's auto-answered ping; false turns it off. */
  heartbeat?: Partial<HeartbeatOptions> | false;
  /** Sync with other tabs through BroadcastChannel. Default true in browsers, false elsewhere. */
  crossTab?: boolean;
  /** Keep the document in IndexedDB (y-indexeddb). Default false; a string names the database. */
  offline?: boolean | string;
  /** Updates larger than this are split into several messages. Default 1 MiB. */
  maxMessageBytes?: number;
}

export interface QuireProviderEvents {
  /** The connection status changed. */
  status: (event: { status: ConnectionStatus }) => void;
  /** The document received the server's state (true) or the connection was lost (false). */
  synced: (synced: boolean) => void;
  /** `saved`, `saving` (sent, not yet acknowledged) or `unsaved` (waiting for a connection). */
  "save-state": (event: { state: SaveState }) => void;
  /** The server closed with a permanent code (4400-4499); the provider will not reconnect. */
  closed: (event: { code: number; reason: string }) => void;
  /** The server refused our updates (read-only token); they stay unsaved. */
  "permission-denied": (event: { reason: string }) => void;
  /** One connection ended; `retryInMs` is null when no reconnect is scheduled. */
  "connection-close": (event: { code: number; reason: string; retryInMs: number | null }) => void;
  "connection-error": (event: { error: unknown }) => void;
}

/**
 * Rejects `whenSaved()` when the changes can no longer be saved through this provider: `code` and
 * `reason` are the permanent close's, or 1000 and `"destroyed"` after `destroy()`.
 */
export class QuireClosedError extends Error {
  /** The reason after `destroy()`. */
  static readonly DESTROYED = "destroyed";

  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(
      reason === QuireClosedError.DESTROYED
        ? "the provider was destroyed"
        : `the connection was closed for good (${code}${reason ? `: ${reason}` : ""})`,
    );
    this.name = "QuireClosedError";
  }
}
