-- What ingest needs on a recording (docs/ingest.md):
--   blob_etag, blob_sequencer  the committed blob this row was last matched to by a BlobCreated
--                              event. Event Grid's sequencer orders events of one blob by plain
--                              string comparison; a lower one arriving late is ignored.
--   ingest_lease_*             one worker at a time: duplicate queue messages (at-least-once) find
--                              the lease taken and stop, so metadata and thumbnail are written once.
--   ingest_attempts            how often a worker claimed it (the stuck-processing sweeper's input).
--   failure_code               machine-readable reason of 'failed' (failure_reason is the sentence).
--   media_blob_name            the seekable copy in the processed container, when one was made.
ALTER TABLE recordings
  ADD COLUMN blob_etag VARCHAR(100),
  ADD COLUMN blob_sequencer VARCHAR(64) COLLATE "C",
  ADD COLUMN ingest_lease_id UUID,
  ADD COLUMN ingest_lease_until TIMESTAMPTZ,
  ADD COLUMN ingest_attempts INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN processing_started_at TIMESTAMPTZ,
  ADD COLUMN failure_code VARCHAR(64),
  ADD COLUMN media_blob_name VARCHAR(1024);

ALTER TABLE recordings ADD CONSTRAINT recordings_failure_code_check CHECK (
  failure_code IS NULL OR failure_code IN (
    'empty_file', 'file_too_large', 'quota_exceeded', 'unsupported_media', 'corrupt_media',
    'blob_missing', 'processing_failed', 'upload_abandoned'));

-- Ingest files a transcription task for recordings with audio when enabled (Ingest__CreateTranscriptionTasks).
GRANT SELECT, INSERT ON ai_generation_tasks TO recorder_maintenance;
GRANT USAGE ON SEQUENCE ai_generation_tasks_id_seq TO recorder_maintenance;
