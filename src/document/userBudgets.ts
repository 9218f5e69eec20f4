// Per-user rate limits of one document: update bytes per second, and new Yjs client ids per minute.
// In memory only: a hibernation (which needs a quiet document) refills them.
import { CloseCode } from "../protocol/closeCodes";
import { CloseConnection } from "./errors";
import { type Limits, NEW_CLIENT_IDS_BURST, RateBucket } from "./limits";

/** Bursts of update bytes a user may send at once, as a multiple of the sustained rate. */
const UPDATE_BURST_SECONDS = 64;

export class UserBudgets {
  private readonly bytes = new Map<string, RateBucket>();
  private readonly clientIds = new Map<string, RateBucket>();

  constructor(private readonly limits: Limits) {}

  /** Takes `count` update bytes from the user's budget; past it, the connection closes with 4529. */
  takeBytes(userId: string, count: number): void {
    const { maxUpdateBytesPerSecond: rate } = this.limits;
    if (bucketOf(this.bytes, userId, rate, rate * UPDATE_BURST_SECONDS).take(count)) return;
    throw new CloseConnection(CloseCode.updateRateExceeded, `more than ${rate} update bytes per second; reconnect later`);
  }

  /** Takes `count` client ids new to the document; past the budget, the connection closes with 4429. */
  takeClientIds(userId: string, count: number): void {
    const { maxNewClientIdsPerMinute: perMinute } = this.limits;
    if (bucketOf(this.clientIds, userId, perMinute / 60, NEW_CLIENT_IDS_BURST).take(count)) return;
    throw new CloseConnection(
      CloseCode.tooManyClientIds,
      `more than ${perMinute} new client ids per minute (bursts of ${NEW_CLIENT_IDS_BURST}); import such content through the admin API`,
    );
  }
}

function bucketOf(buckets: Map<string, RateBucket>, userId: string, rate: number, burst: number): RateBucket {
  let bucket = buckets.get(userId);
  if (!bucket) {
    bucket = new RateBucket(rate, burst);
    buckets.set(userId, bucket);
  }
  return bucket;
}
