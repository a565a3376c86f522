-- recorder:no-transaction
-- The client's own id of a recording (the recorder page's IndexedDB localId, docs/recorder-page.md),
-- set when `recorder import-client-recordings` creates the recording: the import's idempotency key.
-- A column rather than a metadata key, so it is typed, bounded and enforced by a plain unique index.
--
-- At most one live recording per user and client id, so a re-run (or a second run at once) cannot make
-- a second one. A recording whose upload was abandoned (the lifecycle sweep failed it and deleted its
-- partial blob) no longer holds the id: importing it again makes a new recording.
--
-- recordings may hold many rows: adding a nullable column without a default changes no row, and the
-- index is built CONCURRENTLY (outside a transaction), so both statements are idempotent for a re-run.
-- recorder_app and recorder_maintenance have table-wide grants on recordings (006), which cover the column.

ALTER TABLE recordings ADD COLUMN IF NOT EXISTS client_id VARCHAR(100)
  CONSTRAINT recordings_client_id_check CHECK (btrim(client_id) <> '');

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_recordings_user_client_id
  ON recordings (user_id, client_id)
  WHERE client_id IS NOT NULL AND failure_code IS DISTINCT FROM 'upload_abandoned';
