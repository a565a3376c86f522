-- The legal-hold rule in one place (docs/operations.md, "Retention policies and legal holds"). Every statement
-- that deletes, marks for deletion, purges, erases or expires recorder data asks these functions instead of
-- reading recordings.legal_hold or user_legal_holds itself, so a new path cannot write the rule differently:
--
--   recorder_user_held(user_id)            the user is under a hold (a user_legal_holds row);
--   recorder_recording_held(recording)     the recording is: its own hold, or its owner's, whatever its status
--                                          (a hold placed on a recording being deleted keeps what is left of it);
--   recorder_user_data_hold(user_id)       what holds any of the user's recorder data, for erasure:
--                                          'user', 'recording' (one of theirs) or NULL.
--
-- Invoker's rights, not SECURITY DEFINER (docs/architecture.md, "Legal holds: one rule"): the answer is what the
-- caller may see. recorder_maintenance (BYPASSRLS) sees every hold; recorder_app sees only its own user's hold row
-- (017), and its own user's recordings are the only ones it can see or delete. A definer would answer recorder_app
-- about any user's hold, would rely on the owner bypassing the FORCEd row-level security of user_legal_holds, and,
-- like a function with SET search_path, is never inlined: recorder_recording_held is, so the planner sees
-- `NOT legal_hold` as the plain column filter the retention indexes serve.

CREATE FUNCTION recorder_user_held(user_id varchar)
RETURNS boolean
LANGUAGE sql
STABLE
AS $$ SELECT EXISTS (SELECT 1 FROM user_legal_holds h WHERE h.user_id = recorder_user_held.user_id) $$;

CREATE FUNCTION recorder_recording_held(recording recordings)
RETURNS boolean
LANGUAGE sql
STABLE
AS $$ SELECT recording.legal_hold OR recorder_user_held(recording.user_id) $$;

-- The user's own hold first, so a refusal names it; a recording's own hold counts whatever its status.
CREATE FUNCTION recorder_user_data_hold(user_id varchar)
RETURNS text
LANGUAGE sql
STABLE
AS $$
  SELECT CASE
    WHEN recorder_user_held(recorder_user_data_hold.user_id) THEN 'user'
    WHEN EXISTS (SELECT 1 FROM recordings r WHERE r.user_id = recorder_user_data_hold.user_id AND r.legal_hold) THEN 'recording'
  END
$$;

REVOKE ALL ON FUNCTION recorder_user_held(varchar), recorder_recording_held(recordings), recorder_user_data_hold(varchar) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recorder_user_held(varchar), recorder_recording_held(recordings) TO recorder_app, recorder_maintenance;
GRANT EXECUTE ON FUNCTION recorder_user_data_hold(varchar) TO recorder_maintenance;

-- 013's function, unchanged but for the held users' sessions, which it now finds by the rule above (it runs as
-- the owner, as its own lookup did). CREATE OR REPLACE keeps its grant.
CREATE OR REPLACE FUNCTION recorder_drop_expired_session_partitions(expired_before timestamptz)
RETURNS TABLE (partition_name text, range_end timestamptz, dropped_rows bigint, kept_rows bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
  expired record;
BEGIN
  IF expired_before IS NULL OR expired_before > now() THEN
    RAISE EXCEPTION 'expired_before must be a time in the past, not %', expired_before;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('recorder_ensure_weekly_partitions'), 'recording_sessions'::regclass::oid::integer);

  -- The bound reads FOR VALUES FROM ('…') TO ('…'), printed in UTC (this function's TimeZone).
  FOR expired IN
    SELECT c.oid::regclass AS partition, c.relname::text AS name, bound.range_end
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    CROSS JOIN LATERAL (
      SELECT substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz AS range_end
    ) bound
    WHERE i.inhparent = 'recording_sessions'::regclass
      AND bound.range_end IS NOT NULL AND bound.range_end <= expired_before
    ORDER BY bound.range_end
  LOOP
    EXECUTE format('ALTER TABLE recording_sessions DETACH PARTITION %s', expired.partition);
    EXECUTE format('SELECT count(*) FROM %s', expired.partition) INTO dropped_rows;
    -- The week's range is free once detached, so the default partition may hold these rows now.
    EXECUTE format('INSERT INTO recording_sessions_default SELECT * FROM %s s WHERE recorder_user_held(s.user_id)',
                   expired.partition);
    GET DIAGNOSTICS kept_rows = ROW_COUNT;
    EXECUTE format('DROP TABLE %s', expired.partition);
    partition_name := expired.name;
    range_end := expired.range_end;
    dropped_rows := dropped_rows - kept_rows;
    RETURN NEXT;
  END LOOP;
END $$;
