// The limits the fault tests run the server with (workerd bindings in vitest.config.ts, `--var`s
// for wrangler dev): small enough that a flood or an oversized frame is cheap to produce, and known
// exactly by the tests.
export const FAULT_LIMITS = {
  MAX_DOCUMENT_BYTES: "2097152",
  MAX_PRESENCE_BYTES: "4096",
  MAX_PRESENCE_PER_SECOND: "10",
  // A user's update bursts may reach 64 seconds' worth (3 MiB here): more than the document limit,
  // so an oversized update meets the size limit (4413) and not the rate (4529).
  MAX_UPDATE_BYTES_PER_SECOND: "49152",
  MAX_CONNECTIONS_PER_DOCUMENT: "400",
  MAX_CONNECTIONS_PER_USER: "20",
  ALLOWED_ORIGINS: "https://quire.example",
} as const;

/** The same limits as numbers, in the fuzzer's terms. */
export const faultLimits = () => ({
  maxDocumentBytes: Number(FAULT_LIMITS.MAX_DOCUMENT_BYTES),
  maxPresenceBytes: Number(FAULT_LIMITS.MAX_PRESENCE_BYTES),
  maxPresencePerSecond: Number(FAULT_LIMITS.MAX_PRESENCE_PER_SECOND),
  maxUpdateBytesPerSecond: Number(FAULT_LIMITS.MAX_UPDATE_BYTES_PER_SECOND),
  maxConnectionsPerDocument: Number(FAULT_LIMITS.MAX_CONNECTIONS_PER_DOCUMENT),
  maxConnectionsPerUser: Number(FAULT_LIMITS.MAX_CONNECTIONS_PER_USER),
});
