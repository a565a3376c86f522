-- Retention policies, legal holds, the stuck-processing and reconciliation sweeps, and session
-- retention by partition (docs/operations.md, "Lifecycle" and "Partitions").
--
-- Which retention applies to a completed recording (first match wins):
--   1. recordings.legal_hold, or a row in user_legal_holds for its owner: never deleted by retention;
--   2. a retention_policies row for its project;
--   3. a retention_policies row for its owner;
--   4. the default, setting Lifecycle__RetentionDays.
-- Holds and policies bind the timers only; they are set by operators (`recorder retention-policy-set`,
-- `recorder legal-hold-set`), audited as the system. Only recorder_maintenance (BYPASSRLS) uses these
-- tables; RLS is enabled and forced with no policy, so any other role sees nothing.

CREATE TABLE retention_policies (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id VARCHAR REFERENCES users(id) ON DELETE CASCADE,
  project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
  retention_days INTEGER NOT NULL CHECK (retention_days >= 1),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (num_nonnulls(user_id, project_id) = 1)
);
-- One policy per user and per project; these also serve the sweeper's lookups.
CREATE UNIQUE INDEX retention_policies_user_key ON retention_policies (user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX retention_policies_project_key ON retention_policies (project_id) WHERE project_id IS NOT NULL;

CREATE TABLE user_legal_holds (
  user_id VARCHAR PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  reason VARCHAR(500),
  placed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- No table rewrite (a constant default); the retention scan re-checks it on the rows it passes.
ALTER TABLE recordings ADD COLUMN legal_hold BOOLEAN NOT NULL DEFAULT false;

-- How often the stuck-processing sweep re-queued a recording (ingest_attempts counts worker claims,
-- which stay 0 when the message itself was lost).
ALTER TABLE recordings ADD COLUMN processing_requeues INTEGER NOT NULL DEFAULT 0;

-- 'processing_timeout': still processing after the sweep's last re-queue. NOT VALID: the rows already
-- there satisfy the narrower constraint this replaces, so no scan under this migration's lock.
ALTER TABLE recordings DROP CONSTRAINT recordings_failure_code_check;
ALTER TABLE recordings ADD CONSTRAINT recordings_failure_code_check CHECK (
  failure_code IS NULL OR failure_code IN (
    'empty_file', 'file_too_large', 'quota_exceeded', 'unsupported_media', 'corrupt_media',
    'blob_missing', 'processing_failed', 'upload_abandoned', 'processing_timeout')) NOT VALID;

-- Where the reconciliation sweep stopped listing the uploads container (a storage continuation
-- token), so each run goes on from there and the whole container is covered over runs.
CREATE TABLE lifecycle_cursors (
  name VARCHAR(64) PRIMARY KEY,
  position TEXT,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE retention_policies ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention_policies FORCE ROW LEVEL SECURITY;
ALTER TABLE user_legal_holds ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_legal_holds FORCE ROW LEVEL SECURITY;

GRANT SELECT, INSERT, UPDATE, DELETE ON retention_policies, user_legal_holds TO recorder_maintenance;
GRANT SELECT, INSERT, UPDATE ON lifecycle_cursors TO recorder_maintenance;
-- Session retention deletes the default partition's expired rows by key (it has no week to drop).
GRANT SELECT, DELETE ON recording_sessions_default TO recorder_maintenance;

-- The weekly partitions from any point in time (005's function counted from now() only); tests make
-- weeks across month and year ends with it. Owner only: the timer uses the two-argument form.
CREATE FUNCTION recorder_ensure_weekly_partitions(parent regclass, weeks_ahead integer, from_time timestamptz)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  key_column name;
  default_partition regclass;
  parent_schema name;
  parent_name name;
  week_start timestamptz;
  week_end timestamptz;
  partition_name text;
  created integer := 0;
BEGIN
  IF weeks_ahead IS NULL OR weeks_ahead < 0 OR weeks_ahead > 104 THEN
    RAISE EXCEPTION 'weeks_ahead must be between 0 and 104, not %', weeks_ahead;
  END IF;
  IF from_time IS NULL THEN
    RAISE EXCEPTION 'from_time must be given';
  END IF;

  SELECT a.attname, NULLIF(pt.partdefid, 0)::regclass, n.nspname, c.relname
    INTO key_column, default_partition, parent_schema, parent_name
  FROM pg_partitioned_table pt
  JOIN pg_class c ON c.oid = pt.partrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
  WHERE pt.partrelid = parent AND pt.partstrat = 'r' AND pt.partnatts = 1;
  IF key_column IS NULL THEN
    RAISE EXCEPTION '% is not range-partitioned on a single column', parent;
  END IF;

  -- The same lock as 005's function and the drop below: partition changes never race.
  PERFORM pg_advisory_xact_lock(hashtext('recorder_ensure_weekly_partitions'), parent::oid::integer);

  FOR week IN 0..weeks_ahead LOOP
    -- Weeks start Monday 00:00 UTC; the name carries the ISO year and week (2025-12-29 is 2026w01).
    week_start := (date_trunc('week', from_time AT TIME ZONE 'UTC') + make_interval(weeks => week)) AT TIME ZONE 'UTC';
    week_end := week_start + interval '1 week';
    partition_name := format('%s_p%s', parent_name, to_char(week_start AT TIME ZONE 'UTC', 'IYYY"w"IW'));
    CONTINUE WHEN to_regclass(format('%I.%I', parent_schema, partition_name)) IS NOT NULL;

    EXECUTE format('CREATE TABLE %I.%I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                   parent_schema, partition_name, parent);
    IF default_partition IS NOT NULL THEN
      EXECUTE format('WITH moved AS (DELETE FROM %s WHERE %I >= $1 AND %I < $2 RETURNING *) INSERT INTO %I.%I SELECT * FROM moved',
                     default_partition, key_column, key_column, parent_schema, partition_name)
        USING week_start, week_end;
    END IF;
    EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I.%I FOR VALUES FROM (%L) TO (%L)',
                   parent, parent_schema, partition_name, week_start, week_end);
    created := created + 1;
  END LOOP;
  RETURN created;
END $$;

REVOKE ALL ON FUNCTION recorder_ensure_weekly_partitions(regclass, integer, timestamptz) FROM PUBLIC;

-- The timer's form keeps its signature and grant; it now counts from the current week.
CREATE OR REPLACE FUNCTION recorder_ensure_weekly_partitions(parent regclass, weeks_ahead integer)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$ SELECT recorder_ensure_weekly_partitions(parent, weeks_ahead, now()) $$;

-- Drops the weekly recording_sessions partitions whose whole range ends at or before expired_before
-- (detach, keep the rows of users under a legal hold by moving them into the default partition, drop),
-- and returns one row per dropped partition. SECURITY DEFINER: dropping needs the owner. The caller
-- audits in the same transaction. expired_before may not be in the future.
CREATE FUNCTION recorder_drop_expired_session_partitions(expired_before timestamptz)
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
    EXECUTE format('INSERT INTO recording_sessions_default SELECT * FROM %s s WHERE EXISTS (SELECT 1 FROM user_legal_holds h WHERE h.user_id = s.user_id)',
                   expired.partition);
    GET DIAGNOSTICS kept_rows = ROW_COUNT;
    EXECUTE format('DROP TABLE %s', expired.partition);
    partition_name := expired.name;
    range_end := expired.range_end;
    dropped_rows := dropped_rows - kept_rows;
    RETURN NEXT;
  END LOOP;
END $$;

REVOKE ALL ON FUNCTION recorder_drop_expired_session_partitions(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recorder_drop_expired_session_partitions(timestamptz) TO recorder_maintenance;
