// quire/client: the browser (and Node) SDK for Quire documents.
export { QuireProvider } from "./QuireProvider";
export {
  type ConnectionStatus,
  QuireClosedError,
  type QuireProviderEvents,
  type QuireProviderOptions,
  type TokenSource,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./types";
export type { SaveState } from "./saveTracker";
export type { BackoffOptions } from "./backoff";
export type { HeartbeatOptions } from "./heartbeat";
export { splitUpdate } from "./splitUpdate";
export { CloseCode, isRetryable } from "../../src/protocol/closeCodes";
