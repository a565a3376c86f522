-- The recording-events channel can be turned off (docs/notifications.md, "Turning the channel off"). A transaction that
-- calls pg_notify takes, at commit, a lock PostgreSQL holds for the whole server until the commit is flushed, so the
-- commits of all notifying transactions run one at a time, every upload URL's among them (bench/results/upload-urls.md).
-- An app that takes the webhook alone turns the channel off, as the schema owner:
--   UPDATE recording_events_settings SET channel = false;
-- and from the next commit on the triggers write the outbox row only. A row, not a setting of the database: Azure's
-- administrator is no superuser, and PostgreSQL lets only a superuser store a custom setting with ALTER DATABASE.

CREATE TABLE recording_events_settings (
  only_row BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_row),
  -- pg_notify on the channel recorder_recording_events for every event (032); the outbox row is written either way.
  channel BOOLEAN NOT NULL DEFAULT true
);
INSERT INTO recording_events_settings DEFAULT VALUES;
-- Like recording_events: no row-level security (no user's data), and no grant: only the owner (the operator) and the
-- trigger function (SECURITY DEFINER, run as the owner) read or change it.

-- CREATE OR REPLACE keeps the function's owner, SECURITY DEFINER, search_path and grants (EXECUTE revoked from PUBLIC by 032).
CREATE OR REPLACE FUNCTION recorder_announce_recording_event() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  changed recordings;
  event_id UUID := gen_random_uuid();
  event_seq BIGINT := nextval(pg_get_serial_sequence('recording_events', 'id'));
  announced JSONB;
BEGIN
  changed := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  announced := jsonb_build_object(
    'eventId', event_id,
    'sequence', event_seq,
    'id', changed.id,
    'userId', changed.user_id,
    -- 'deleting' is the API's "gone": the row's later removal is not announced again (the DELETE trigger's WHEN).
    'status', CASE WHEN TG_OP = 'DELETE' OR changed.status = 'deleting' THEN 'deleted' ELSE changed.status END,
    'failureCode', changed.failure_code,
    'recovered', changed.recovered_at IS NOT NULL,
    'occurredAt', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'));
  INSERT INTO recording_events (id, recording_id, user_id, payload)
  OVERRIDING SYSTEM VALUE
  VALUES (event_seq, changed.id, changed.user_id, announced);
  -- A notification holds at most 8000 bytes; only an absurdly long user id could pass it, and the app can read that.
  IF (SELECT channel FROM recording_events_settings) IS DISTINCT FROM false THEN
    PERFORM pg_notify('recorder_recording_events',
      CASE WHEN octet_length(announced::text) < 8000 THEN announced ELSE announced - 'userId' END::text);
  END IF;
  RETURN NULL;
END
$$;
