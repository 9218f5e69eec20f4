// A Durable Object has one alarm; every kind of deferred work (compaction, index sync, retention,
// ghost reaping) shares it. This keeps the earliest requested time without a storage round trip
// per request.

export class AlarmScheduler {
  /** The alarm time as last read or set; undefined until read after a wake. */
  private scheduledAt: number | null | undefined;
  /** Requests run one after another, so two made in one turn cannot overwrite each other's alarm. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly storage: DurableObjectStorage) {}

  /** Makes sure the alarm fires no later than `at` (ms since the epoch). */
  requestBy(at: number): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.scheduledAt === undefined) this.scheduledAt = await this.storage.getAlarm();
      if (this.scheduledAt !== null && this.scheduledAt <= at) return;
      this.scheduledAt = at;
      await this.storage.setAlarm(at);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Called when the alarm starts running: the platform has cleared it. */
  fired(): void {
    this.scheduledAt = null;
  }
}
