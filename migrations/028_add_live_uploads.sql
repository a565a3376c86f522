-- recorder:no-transaction
-- Live uploads: a recording staged while it is being recorded, committed by the browser at Stop or by the server once
-- the browser has gone silent (docs/ingest.md, "Live uploads"; docs/architecture.md says why this lives on the row).
-- Nullable columns and defaults change no row; the index is built CONCURRENTLY, so every statement is idempotent.

ALTER TABLE recordings ADD COLUMN IF NOT EXISTS live BOOLEAN NOT NULL DEFAULT false;
-- The browser's last renewal, heartbeat or block-list read: the silence the recovery sweep measures.
ALTER TABLE recordings ADD COLUMN IF NOT EXISTS live_contact_at TIMESTAMPTZ;
-- What the browser's last heartbeat said it had staged, kept for the recovery's record (storage's own count decides).
ALTER TABLE recordings ADD COLUMN IF NOT EXISTS live_reported_bytes BIGINT;
ALTER TABLE recordings ADD COLUMN IF NOT EXISTS live_reported_seconds NUMERIC(10,3);
-- Set when the server commits what storage holds of a silent live recording (the API's `recovered`).
ALTER TABLE recordings ADD COLUMN IF NOT EXISTS recovered_at TIMESTAMPTZ;

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_recordings_live_contact
  ON recordings (live_contact_at)
  WHERE live AND status = 'uploading';
