// The change events Quire announces, and the messages that carry them through the EVENTS queue.

export const EVENT_TYPES = ["document.created", "document.updated", "document.deleted", "snapshot.created", "snapshot.restored"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const isEventType = (value: unknown): value is EventType => EVENT_TYPES.includes(value as EventType);

/** A document's figures as an event reports them. */
export interface EventFigures {
  /** The update log's sequence number: the last change the event covers. */
  seq: number;
  /** The document encoded as one Yjs update (V1), as the index reports it. */
  sizeBytes: number;
  lastEditor: string | null;
}

/**
 * One event, as webhooks receive it (the JSON body of the POST). `id` is stable across retries
 * and duplicates, for idempotency. `document.deleted` carries no figures; snapshot events name
 * their snapshot (for `snapshot.restored`, the one restored from).
 */
export interface QuireEvent extends Partial<EventFigures> {
  id: string;
  type: EventType;
  docId: string;
  /** ISO 8601: the last edit for `document.updated`, the snapshot's time for `snapshot.created`. */
  occurredAt: string;
  snapshotId?: string;
}

/**
 * What the EVENTS queue carries: an event to fan out to every webhook that wants it (from the
 * document objects), or one webhook's delivery of an event being retried (from the consumer).
 */
export type EventMessage =
  | { kind: "event"; event: QuireEvent }
  | {
      kind: "delivery";
      event: QuireEvent;
      webhookId: string;
      /** The attempt number of this message's first delivery; the queue's own count adds to it. */
      firstAttempt: number;
    };

/**
 * A webhook delivery that failed its last attempt, as the dead-letter queue holds it. The queue's
 * own dead-lettering (a message whose handling kept failing) puts plain EventMessages there too.
 */
export interface DeadLetter {
  kind: "dead_letter";
  event: QuireEvent;
  webhookId: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
}

/** Largest batch `Queue.sendBatch` takes. */
export const MAX_SEND_BATCH = 100;

/** Sends events to the queue as `event` messages, in batches the platform accepts. */
export async function sendEvents(queue: Queue<EventMessage>, events: QuireEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += MAX_SEND_BATCH) {
    const batch = events.slice(i, i + MAX_SEND_BATCH).map((event) => ({ body: { kind: "event", event } as EventMessage, contentType: "json" as const }));
    await queue.sendBatch(batch);
  }
}
