// quire/client: the browser (and Node) SDK for Quire documents.
export {
  type ConnectionStatus,
  QuireClosedError,
  QuireProvider,
  type QuireProviderEvents,
  type QuireProviderOptions,
  type TokenSource,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./QuireProvider";
export type { SaveState } from "./saveTracker";
export type { BackoffOptions } from "./backoff";
export type { HeartbeatOptions } from "./heartbeat";
export { splitUpdate } from "./splitUpdate";
export { CloseCode, isRetryable } from "../../src/protocol/closeCodes";
