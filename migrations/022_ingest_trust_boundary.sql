-- Ingest's trust boundary (docs/ingest.md, "What ingest trusts").

-- A blob that storage made by a copy (x-ms-copy-source on an upload URL) or any write but the
-- browser's own Put Blob / Put Block List fails with this code. NOT VALID as in 013: the check of
-- existing rows is 023's, outside this migration's exclusive lock.
ALTER TABLE recordings DROP CONSTRAINT recordings_failure_code_check;
ALTER TABLE recordings ADD CONSTRAINT recordings_failure_code_check CHECK (
  failure_code IS NULL OR failure_code IN (
    'empty_file', 'file_too_large', 'quota_exceeded', 'unsupported_media', 'corrupt_media',
    'blob_missing', 'processing_failed', 'upload_abandoned', 'processing_timeout',
    'unsupported_upload')) NOT VALID;

-- Delete and erasure win every race with a worker: a recording marked 'deleting' by any path
-- (HTTP delete, retention, erasure) loses its ingest lease in the same statement, so no worker
-- still holding it can write to it.
CREATE FUNCTION recorder_revoke_ingest_lease() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.ingest_lease_id := NULL;
  NEW.ingest_lease_until := NULL;
  RETURN NEW;
END
$$;

CREATE TRIGGER recordings_deleting_revokes_ingest_lease
  BEFORE UPDATE OF status ON recordings
  FOR EACH ROW
  WHEN (NEW.status = 'deleting' AND OLD.status IS DISTINCT FROM 'deleting' AND OLD.ingest_lease_id IS NOT NULL)
  EXECUTE FUNCTION recorder_revoke_ingest_lease();

-- Queue messages that a committed change makes due (ingest of a claimed blob, the seekable copy of
-- a completed recording): written in that change's transaction, sent after its commit, and sent
-- again by the IngestRecoverySweep timer if the sender died in between. Handlers are idempotent.
CREATE TABLE ingest_outbox (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message JSONB NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- UPDATE: the sweep locks what it sends (FOR UPDATE SKIP LOCKED).
GRANT SELECT, INSERT, UPDATE, DELETE ON ingest_outbox TO recorder_maintenance;

-- Every blob ingest derives (served media copy, seekable copy, thumbnail) is written under a name of
-- its own attempt, and recorded here before it is written: a blob that nothing references after
-- remove_after (its attempt crashed or lost a race, or a seekable copy replaced it and the read URLs
-- handed out for it have expired) is removed by the lifecycle sweep. No foreign key: an entry
-- outlives its recording, whose deletion it cleans up after.
CREATE TABLE derived_blobs (
  container TEXT NOT NULL CHECK (container IN ('processed', 'thumbnails')),
  blob_name TEXT NOT NULL,
  recording_id BIGINT NOT NULL,
  remove_after TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (container, blob_name)
);
CREATE INDEX idx_derived_blobs_remove_after ON derived_blobs (remove_after);
-- A recording's deletion removes its entries' blobs with its own.
CREATE INDEX idx_derived_blobs_recording ON derived_blobs (recording_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON derived_blobs TO recorder_maintenance;

-- An export's zip is named with a random part of its own, set once when a worker first claims it (so a
-- retry writes the same blob), as upload blobs are: export ids are sequential.
ALTER TABLE privacy_exports ADD COLUMN storage_key TEXT;
