-- Edit history with undo and redo (docs/api/edits.md).
--   recordings.edit_version   the recording's edit concurrency token: every edit, undo and redo adds one.
--                             A change names the version it was based on; a stale one is refused (409).
--   recording_edits.sequence  the edit's place in its recording's history (1, 2, 3 …), unique per
--                             recording: the history's order and its list cursor.
--   recording_edits.state     applied (in effect), undone (waiting for a redo), discarded (a redo branch
--                             cut off by a new edit: kept and listed, never applied again), with the
--                             time it was discarded.
-- Changes to a recording's history are serialised by a row lock on the recording; the unique
-- (recording_id, sequence) is the database's own guard against two edits taking one place.

ALTER TABLE recordings ADD COLUMN edit_version BIGINT NOT NULL DEFAULT 0 CHECK (edit_version >= 0);

ALTER TABLE recording_edits
  ADD COLUMN sequence INTEGER,
  ADD COLUMN state VARCHAR NOT NULL DEFAULT 'applied' CHECK (state IN ('applied', 'undone', 'discarded')),
  ADD COLUMN discarded_at TIMESTAMPTZ,
  ADD CONSTRAINT recording_edits_discarded_at_check CHECK ((state = 'discarded') = (discarded_at IS NOT NULL));

-- Edits written before this migration (the API had none) become applied, in id order. FORCEd row
-- security binds the owner running this migration too; it is lifted inside this transaction only.
ALTER TABLE recording_edits NO FORCE ROW LEVEL SECURITY;
ALTER TABLE recordings NO FORCE ROW LEVEL SECURITY;
UPDATE recording_edits e SET sequence = numbered.sequence
FROM (SELECT id, row_number() OVER (PARTITION BY recording_id ORDER BY id) AS sequence FROM recording_edits) numbered
WHERE numbered.id = e.id;
UPDATE recordings r SET edit_version = counted.edits
FROM (SELECT recording_id, count(*) AS edits FROM recording_edits GROUP BY recording_id) counted
WHERE counted.recording_id = r.id;
ALTER TABLE recording_edits FORCE ROW LEVEL SECURITY;
ALTER TABLE recordings FORCE ROW LEVEL SECURITY;

ALTER TABLE recording_edits ALTER COLUMN sequence SET NOT NULL;
ALTER TABLE recording_edits ADD CONSTRAINT recording_edits_sequence_check CHECK (sequence > 0);
-- Serves the history (in order, keyset by sequence), the next sequence and the cascade from
-- recordings, so 003's (recording_id, id) index has nothing left to do.
ALTER TABLE recording_edits ADD CONSTRAINT recording_edits_recording_sequence_key UNIQUE (recording_id, sequence);
DROP INDEX idx_edits_recording_id;

-- recorder_app and recorder_maintenance already read and write both tables (006); the new columns
-- need no grant of their own.
