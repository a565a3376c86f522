-- recorder:no-transaction
-- GET /api/me/storage sums a user's live recordings twice: in total (StorageQuota, also every upload's
-- quota check) and by recording type. idx_recordings_user_live_size (004) is (user_id) INCLUDE (file_size):
-- index-only for the total, but the by-type sum needs recording_type and fell back to the heap, 470 ms
-- for a user with 100 000 recordings (bench/results/database.md). Leading with user_id, this index serves
-- both index-only (and the storage alert's pass over all users), so it replaces the old one rather than
-- adding a second index on the same rows. Built CONCURRENTLY before the old one goes: no moment without one.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_recordings_user_live_type_size
  ON recordings (user_id, recording_type) INCLUDE (file_size)
  WHERE status IN ('uploading', 'processing', 'completed');

DROP INDEX CONCURRENTLY IF EXISTS idx_recordings_user_live_size;
