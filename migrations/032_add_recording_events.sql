-- Recording events (docs/notifications.md; the decision: docs/architecture.md, "Recording events"). Every status
-- change of a recording, whichever statement and role makes it, is announced by triggers in its own transaction: on
-- the channel recorder_recording_events (pg_notify, delivered at commit, never for a rollback) and as a row of
-- recording_events, the outbox the RecordingWebhookDelivery timer sends to the webhook from.

CREATE TABLE recording_events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recording_id BIGINT NOT NULL,
  user_id VARCHAR NOT NULL,
  -- What the channel carried and the webhook posts, verbatim: ids, status and times, nothing private.
  payload JSONB NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_error VARCHAR(200),
  delivered_at TIMESTAMPTZ,
  abandoned_at TIMESTAMPTZ,
  CHECK (delivered_at IS NULL OR abandoned_at IS NULL)
);

-- What the delivery owes, and whether an earlier event of the same recording is still owed (sent in order).
CREATE INDEX idx_recording_events_pending ON recording_events (recording_id, id)
  WHERE delivered_at IS NULL AND abandoned_at IS NULL;
CREATE INDEX idx_recording_events_due ON recording_events (next_attempt_at)
  WHERE delivered_at IS NULL AND abandoned_at IS NULL;
-- Erasure removes a user's events; pruning removes settled ones by age.
CREATE INDEX idx_recording_events_user ON recording_events (user_id);
CREATE INDEX idx_recording_events_created ON recording_events (created_at);

-- SECURITY DEFINER: recorder_app and recorder_maintenance change recordings but hold no privilege on the outbox.
-- The table has no row-level security, so the owner (Azure's administrator, no BYPASSRLS) may insert into it.
CREATE FUNCTION recorder_announce_recording_event() RETURNS trigger
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
  PERFORM pg_notify('recorder_recording_events',
    CASE WHEN octet_length(announced::text) < 8000 THEN announced ELSE announced - 'userId' END::text);
  RETURN NULL;
END
$$;

REVOKE EXECUTE ON FUNCTION recorder_announce_recording_event() FROM PUBLIC;

CREATE TRIGGER recordings_announce_insert
  AFTER INSERT ON recordings
  FOR EACH ROW EXECUTE FUNCTION recorder_announce_recording_event();

CREATE TRIGGER recordings_announce_update
  AFTER UPDATE OF status, recovered_at ON recordings
  FOR EACH ROW
  WHEN (NEW.status IS DISTINCT FROM OLD.status OR (NEW.recovered_at IS NOT NULL AND OLD.recovered_at IS NULL))
  EXECUTE FUNCTION recorder_announce_recording_event();

CREATE TRIGGER recordings_announce_delete
  AFTER DELETE ON recordings
  FOR EACH ROW
  WHEN (OLD.status <> 'deleting')
  EXECUTE FUNCTION recorder_announce_recording_event();

-- The delivery, pruning and erasure run as recorder_maintenance; recorder_app gets nothing.
GRANT SELECT, UPDATE, DELETE ON recording_events TO recorder_maintenance;
