-- Webhooks (admin API /v1/webhooks) and their delivery attempts, written by the queue consumer
-- (src/webhooks/). Times are milliseconds since the epoch.
CREATE TABLE webhooks (
  id         TEXT PRIMARY KEY,
  url        TEXT NOT NULL,
  -- JSON array of the event types delivered.
  events     TEXT NOT NULL,
  -- The HMAC key of the Quire-Signature header. Returned once, on creation; never listed.
  secret     TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

-- One row per delivery attempt, newest last; pruned to the newest few hundred per webhook.
CREATE TABLE webhook_deliveries (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  webhook_id      TEXT NOT NULL,
  event_id        TEXT NOT NULL,
  event_type      TEXT NOT NULL,
  doc_id          TEXT NOT NULL,
  attempt         INTEGER NOT NULL,
  -- The receiver's HTTP status; null when no answer came (timeout, connection failure).
  status          INTEGER,
  error           TEXT,
  duration_ms     INTEGER NOT NULL,
  attempted_at    INTEGER NOT NULL,
  -- 'delivered', 'retrying' (next_attempt_at says when) or 'dead_lettered'.
  outcome         TEXT NOT NULL,
  next_attempt_at INTEGER
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);
