-- recorder:no-transaction
-- Two timers read recordings by age among a few rows of one status, and at 10 M recordings both read far more
-- (bench/notes/mixed-load.md, "The timers' scans"):
--   * the lifecycle sweep's abandoned uploads (uploading, not live, older than a day), oldest first: no index led with
--     the age of those rows, so the planner walked the primary key in id order past every row (5.6 s a run);
--   * the alert check's failure codes of a window (failed, created in the last hour or day): the age index found every
--     recording of the window and the heap was read for each to keep the failed ones.
-- Both indexes hold only the rows they serve. Built CONCURRENTLY: the table stays writable meanwhile.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_recordings_abandoned_uploads
  ON recordings (created_at, id) WHERE status = 'uploading' AND NOT live;

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_recordings_failed_created
  ON recordings (created_at) INCLUDE (failure_code) WHERE status = 'failed';
