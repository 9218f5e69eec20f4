// A Durable Object has one alarm; every kind of deferred work (compaction, index sync) shares it.
// This keeps the earliest requested time without a storage round trip per request.

export class AlarmScheduler {
  /** The alarm time as last read or set; undefined until read after a wake. */
  private scheduledAt: number | null | undefined;

  constructor(private readonly storage: DurableObjectStorage) {}

  /** Makes sure the alarm fires no later than `at` (ms since the epoch). */
  async requestBy(at: number): Promise<void> {
    if (this.scheduledAt === undefined) this.scheduledAt = await this.storage.getAlarm();
    if (this.scheduledAt !== null && this.scheduledAt <= at) return;
    this.scheduledAt = at;
    await this.storage.setAlarm(at);
  }

  /** Called when the alarm starts running: the platform has cleared it. */
  fired(): void {
    this.scheduledAt = null;
  }
}
