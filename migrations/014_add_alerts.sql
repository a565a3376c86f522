-- recorder:no-transaction
-- Operational alerts raised by the AlertsCheck timer (docs/operations.md, "Alerts (AlertsCheck)").
-- Runs outside a transaction because of the CONCURRENTLY index on recordings at the end; every
-- statement is idempotent, so a re-run after a failure finishes the job.
--
-- One row per episode of a condition: opened when first seen, kept up to date while it holds
-- (last_seen, severity, value), resolved when it clears. At most one open row per (kind, subject),
-- which the partial unique index enforces and the check's upsert relies on.
--   kind       storage_usage | recording_failures | session_interruptions | database_size
--   subject    what it is about: a user id, a window ('last_hour', 'last_day'), 'database'
--   value      the measure, in percent (of the storage limit, of settled recordings or sessions,
--              of the disk budget); threshold is the percent the current severity starts at
--   webhook_*  what the webhook was last told, so a delivery that failed is retried next run
CREATE TABLE IF NOT EXISTS alerts (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind VARCHAR(64) NOT NULL,
  subject VARCHAR(255) NOT NULL,
  severity VARCHAR NOT NULL CHECK (severity IN ('warning', 'critical')),
  value NUMERIC NOT NULL,
  threshold NUMERIC NOT NULL,
  details JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object'),
  first_seen TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_seen TIMESTAMPTZ NOT NULL DEFAULT now(),
  resolved_at TIMESTAMPTZ,
  webhook_severity VARCHAR CHECK (webhook_severity IN ('warning', 'critical')),
  webhook_resolved BOOLEAN NOT NULL DEFAULT false,
  CHECK (resolved_at IS NULL OR resolved_at >= first_seen)
);

-- Exactly one open alert per condition; also serves "the open alerts of a kind".
CREATE UNIQUE INDEX IF NOT EXISTS idx_alerts_open ON alerts (kind, subject) WHERE resolved_at IS NULL;

-- Deliveries the webhook still owes (the predicate is the one AlertWebhook queries with).
CREATE INDEX IF NOT EXISTS idx_alerts_webhook_pending ON alerts (id)
  WHERE (resolved_at IS NULL AND webhook_severity IS DISTINCT FROM severity) OR (resolved_at IS NOT NULL AND NOT webhook_resolved);

-- The history, newest first (operators: SELECT * FROM alerts ORDER BY first_seen DESC LIMIT 50).
CREATE INDEX IF NOT EXISTS idx_alerts_first_seen ON alerts (first_seen DESC);

-- Only the maintenance path (the timer, the CLI) raises and resolves alerts; nothing deletes them.
GRANT SELECT, INSERT, UPDATE ON alerts TO recorder_maintenance;

-- The failure-rate check and the activity report read recordings by creation time, across users:
-- index-only for the check (status is all it needs). recordings holds rows already: CONCURRENTLY.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_recordings_created_status
  ON recordings (created_at) INCLUDE (status);
