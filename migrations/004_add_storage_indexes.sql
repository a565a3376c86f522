-- recorder:no-transaction
-- Indexes for the recordings API, quotas and sweepers. recordings may already hold rows when
-- this runs, so the indexes are built CONCURRENTLY (no write lock), which PostgreSQL allows only
-- outside a transaction: the runner executes these statements one by one. Each is IF NOT EXISTS,
-- so a re-run after a failure finishes the job (an index a failed build left INVALID must be
-- dropped with DROP INDEX CONCURRENTLY first; see docs/operations.md).

-- "My recordings", newest first, keyset-paginated on (created_at, id).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_recordings_user_created
  ON recordings (user_id, created_at DESC, id DESC);

-- The same list filtered by type.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_recordings_user_type
  ON recordings (user_id, recording_type, created_at DESC, id DESC);

-- Storage in use per user (bytes, summed over recordings that hold or will hold a blob).
-- Index-only: the quota check and the storage alert never touch the heap.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_recordings_user_live_size
  ON recordings (user_id) INCLUDE (file_size)
  WHERE status IN ('uploading', 'processing', 'completed');

-- Retention walks completed recordings oldest first, by key.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_recordings_retention
  ON recordings (created_at, id) WHERE status = 'completed';

-- Sweepers: abandoned uploads, stuck processing, unfinished deletions.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_recordings_in_flight
  ON recordings (status, updated_at) WHERE status IN ('uploading', 'processing', 'deleting');
