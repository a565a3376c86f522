-- The recording-event function (032, 035) took its sequence with pg_get_serial_sequence, a catalog search on every event;
-- it now names the outbox's identity sequence, resolved once when its statement is planned. Nothing else changes.

-- The name PostgreSQL gave 032's identity column; a database where it differs stops here, not at its next recording.
DO $$
BEGIN
  IF pg_get_serial_sequence('recording_events', 'id') IS DISTINCT FROM 'public.recording_events_id_seq' THEN
    RAISE EXCEPTION 'recording_events.id is backed by %, not public.recording_events_id_seq',
      pg_get_serial_sequence('recording_events', 'id');
  END IF;
END
$$;

-- CREATE OR REPLACE keeps the function's owner, SECURITY DEFINER, search_path and grants (EXECUTE revoked from PUBLIC by 032).
CREATE OR REPLACE FUNCTION recorder_announce_recording_event() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  changed recordings;
  event_id UUID := gen_random_uuid();
  event_seq BIGINT := nextval('recording_events_id_seq'::regclass);
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
