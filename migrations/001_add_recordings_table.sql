-- Recordings, from the moment the upload URL is issued (status 'uploading') until retention
-- removes them. Differences from the seed's proposal, and why:
--   * id is BIGINT identity: ten million rows and more, never a SERIAL wrap-around.
--   * duration is NULL until ingest measures it (seconds, millisecond precision: the browser
--     tests compare within 0.5 s), because it cannot be known when the URL is issued.
--   * blob_name (in the uploads container) replaces storage_url/thumbnail_url: URLs are made at
--     read time as short-lived SAS links, never stored; the blob name is what ingest matches.
--   * project_id is ON DELETE SET NULL: deleting a project must not delete rows whose blobs
--     still exist (a recording outlives the project it was filed under).
--   * timestamps are TIMESTAMPTZ (the app's own tables keep their TIMESTAMP columns).
--   * status starts at 'uploading'; 'deleting' marks a row whose blobs retention is removing.

CREATE OR REPLACE FUNCTION recorder_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;

CREATE TABLE recordings (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id VARCHAR NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id INTEGER REFERENCES projects(id) ON DELETE SET NULL,
  title VARCHAR(200) NOT NULL CHECK (btrim(title) <> ''),
  description TEXT CHECK (char_length(description) <= 5000),
  recording_type VARCHAR NOT NULL
    CHECK (recording_type IN ('camera', 'audio', 'screen', 'screen-camera', 'slides-camera', 'slides')),
  duration NUMERIC(10,3) CHECK (duration >= 0),             -- seconds
  file_size BIGINT NOT NULL CHECK (file_size > 0),          -- bytes: declared at upload, the blob's real size after ingest
  mime_type VARCHAR(100) NOT NULL,
  blob_name VARCHAR(1024) NOT NULL UNIQUE,
  thumbnail_blob_name VARCHAR(1024),
  quality VARCHAR NOT NULL DEFAULT 'high' CHECK (quality IN ('high', 'medium', 'low')),
  status VARCHAR NOT NULL DEFAULT 'uploading'
    CHECK (status IN ('uploading', 'processing', 'completed', 'failed', 'deleting')),
  failure_reason TEXT,
  metadata JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  completed_at TIMESTAMPTZ
);

CREATE TRIGGER recordings_touch_updated_at
  BEFORE UPDATE ON recordings
  FOR EACH ROW EXECUTE FUNCTION recorder_touch_updated_at();

-- Serves the ON DELETE SET NULL from projects. The per-user indexes come in 004.
CREATE INDEX idx_recordings_project_id ON recordings (project_id) WHERE project_id IS NOT NULL;
