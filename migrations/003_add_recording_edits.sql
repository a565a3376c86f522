-- Edit history of a recording (trim, crop, filter, text overlay) with what undo needs.
-- Not partitioned: it cascades from recordings and is read per recording.
-- The seed's index on edit_type alone is left out: four values, never queried by type alone.

CREATE TABLE recording_edits (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recording_id BIGINT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
  edit_type VARCHAR NOT NULL CHECK (edit_type IN ('trim', 'crop', 'filter', 'text_overlay')),
  parameters JSONB NOT NULL CHECK (jsonb_typeof(parameters) = 'object'),
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  undo_data JSONB
);

CREATE INDEX idx_edits_recording_id ON recording_edits (recording_id, id);
