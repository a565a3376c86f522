-- A recording's deletion unlinks its sessions once per DELETE statement, not once per deleted row.
-- The foreign key of 002 (recording_sessions.recording_id ON DELETE SET NULL) ran a row-level trigger
-- for every deleted recording that probed recording_sessions' index in every weekly partition: 60 % of
-- a retention purge's time (bench/results/database.md, 39 µs a row). Two triggers keep the same rule:
--   * after a DELETE on recordings, one UPDATE per statement clears the sessions of every deleted row
--     (one index scan per partition for the whole batch), whoever deletes: the recorder or the main app;
--   * a session can only be linked to an existing recording of its own user. KEY SHARE, as the foreign
--     key's check took, makes a concurrent delete of that recording wait for the linking transaction, and
--     a link to a recording deleted meanwhile fails: no session is left pointing at nothing.
-- Both run as the caller: under recorder_app's row-level security a user's sessions and recordings are
-- the ones it sees; recorder_maintenance bypasses it. The failure keeps the foreign key's SQLSTATE.

ALTER TABLE recording_sessions DROP CONSTRAINT recording_sessions_recording_id_fkey;

CREATE FUNCTION recording_sessions_require_recording() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.recording_id IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.recording_id IS DISTINCT FROM OLD.recording_id) THEN
    PERFORM 1 FROM recordings WHERE id = NEW.recording_id AND user_id = NEW.user_id FOR KEY SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'recording % does not exist for the user of session %', NEW.recording_id, NEW.id
        USING ERRCODE = 'foreign_key_violation', TABLE = 'recording_sessions', COLUMN = 'recording_id';
    END IF;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER recording_sessions_require_recording
  BEFORE INSERT OR UPDATE OF recording_id ON recording_sessions
  FOR EACH ROW EXECUTE FUNCTION recording_sessions_require_recording();

CREATE FUNCTION recordings_unlink_sessions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE recording_sessions SET recording_id = NULL
  WHERE recording_id = ANY (ARRAY(SELECT id FROM deleted_recordings));
  RETURN NULL;
END
$$;

CREATE TRIGGER recordings_unlink_sessions
  AFTER DELETE ON recordings REFERENCING OLD TABLE AS deleted_recordings
  FOR EACH STATEMENT EXECUTE FUNCTION recordings_unlink_sessions();

COMMENT ON INDEX idx_recording_sessions_recording_id IS 'Serves recordings_unlink_sessions (019): a deleted recording''s sessions lose their link.';
