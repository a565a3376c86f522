-- Partitioning (docs/architecture.md, "Partitioning"):
--   * recording_sessions is range-partitioned by week of started_at (declared so in 002).
--     Retention drops whole weeks; the stale-session sweeper and lists touch the newest weeks.
--   * recordings is NOT partitioned: edits and sessions reference it by a one-column key, the
--     API addresses it by id, and its hot paths are per-user index scans that partitioning by
--     time would only spread over more indexes. Retention deletes it in batches by primary key.
-- Partitions are created ahead of time by recorder_ensure_weekly_partitions(), here for the
-- coming weeks and then daily by the PartitionMaintenance timer. A DEFAULT partition catches
-- any row outside them, so an insert never fails for want of a partition; the function moves
-- such rows into the week's partition when it creates it.

CREATE TABLE recording_sessions_default PARTITION OF recording_sessions DEFAULT;

-- Creates the weekly partitions (weeks starting Monday 00:00 UTC) of a table range-partitioned
-- on one timestamptz column, for the current week and `weeks_ahead` after it; returns how many
-- it created. Idempotent; concurrent callers are serialized. SECURITY DEFINER because attaching
-- a partition needs the owner, and the caller is the maintenance role.
CREATE FUNCTION recorder_ensure_weekly_partitions(parent regclass, weeks_ahead integer)
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

  -- Two instances' timers at once would race on CREATE TABLE.
  PERFORM pg_advisory_xact_lock(hashtext('recorder_ensure_weekly_partitions'), parent::oid::integer);

  FOR week IN 0..weeks_ahead LOOP
    week_start := (date_trunc('week', now() AT TIME ZONE 'UTC') + make_interval(weeks => week)) AT TIME ZONE 'UTC';
    week_end := week_start + interval '1 week';
    partition_name := format('%s_p%s', parent_name, to_char(week_start AT TIME ZONE 'UTC', 'IYYY"w"IW'));
    CONTINUE WHEN to_regclass(format('%I.%I', parent_schema, partition_name)) IS NOT NULL;

    -- Create detached, move the week's rows out of the default partition, then attach:
    -- attaching checks that the default partition holds no row of the new range.
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

REVOKE ALL ON FUNCTION recorder_ensure_weekly_partitions(regclass, integer) FROM PUBLIC;

SELECT recorder_ensure_weekly_partitions('recording_sessions'::regclass, 8);
