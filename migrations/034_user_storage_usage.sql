-- Storage in use per user, kept in the same transaction as every change to recordings, so the upload's quota check
-- reads one row instead of summing the user's recordings (39 ms for a user with 100 000 of them, 0.7 ms for most:
-- bench/results/database.md). A statement trigger with transition tables keeps it, so no path that inserts, updates
-- or deletes recordings (the API, ingest, live-upload recovery, retention, erasure, the CLI) can forget it; a batch
-- statement updates each of its users' rows once, in user order (two batches never deadlock on them).
-- "In use" is StorageQuota.LiveStatusesSql: uploading, processing and completed recordings' file_size.
-- A user whose last live recording goes loses the row (an erased user leaves no trace here).

CREATE TABLE user_storage_usage (
  user_id VARCHAR PRIMARY KEY,
  used_bytes BIGINT NOT NULL,
  recordings INTEGER NOT NULL
);

-- Written only by the triggers' functions, which run as this migration's role (the schema owner, FORCEd like every
-- role: its policy here lets them keep the figures); the app reads its user's row, maintenance every row (025's shape;
-- its grant is SELECT only).
ALTER TABLE user_storage_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_storage_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY user_storage_usage_owner_reads ON user_storage_usage FOR SELECT TO recorder_app
  USING (user_id = (SELECT NULLIF(current_setting('app.user_id', true), '')));
CREATE POLICY user_storage_usage_maintenance ON user_storage_usage TO recorder_maintenance USING (true) WITH CHECK (true);
CREATE POLICY user_storage_usage_schema_owner_keeps ON user_storage_usage TO CURRENT_USER USING (true) WITH CHECK (true);
GRANT SELECT ON user_storage_usage TO recorder_app, recorder_maintenance;

-- Each event's own trigger function (a statement may name only the transition tables its event has), all as the owner:
-- nobody else may call the function that writes the figures, so no role can change its own.
CREATE FUNCTION recorder_storage_usage_add(changes_user_ids VARCHAR[], changes_bytes BIGINT[], changes_counts INTEGER[])
RETURNS void
LANGUAGE sql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  INSERT INTO user_storage_usage AS usage (user_id, used_bytes, recordings)
    SELECT user_id, sum(bytes), sum(counts)::int
    FROM unnest(changes_user_ids, changes_bytes, changes_counts) AS c(user_id, bytes, counts)
    GROUP BY user_id HAVING sum(bytes) <> 0 OR sum(counts) <> 0
    ORDER BY user_id
  ON CONFLICT (user_id) DO UPDATE
    SET used_bytes = usage.used_bytes + excluded.used_bytes, recordings = usage.recordings + excluded.recordings;
  DELETE FROM user_storage_usage WHERE recordings = 0 AND user_id = ANY (changes_user_ids);
$$;

CREATE FUNCTION recorder_storage_usage_inserted() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM recorder_storage_usage_add(array_agg(user_id), array_agg(file_size), array_agg(1))
  FROM new_rows WHERE status IN ('uploading', 'processing', 'completed') HAVING count(*) > 0;
  RETURN NULL;
END;
$$;

CREATE FUNCTION recorder_storage_usage_deleted() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM recorder_storage_usage_add(array_agg(user_id), array_agg(-file_size), array_agg(-1))
  FROM old_rows WHERE status IN ('uploading', 'processing', 'completed') HAVING count(*) > 0;
  RETURN NULL;
END;
$$;

CREATE FUNCTION recorder_storage_usage_updated() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM recorder_storage_usage_add(array_agg(user_id), array_agg(bytes), array_agg(counts))
  FROM (SELECT user_id, file_size AS bytes, 1 AS counts FROM new_rows WHERE status IN ('uploading', 'processing', 'completed')
        UNION ALL
        SELECT user_id, -file_size, -1 FROM old_rows WHERE status IN ('uploading', 'processing', 'completed')) AS changes
  HAVING count(*) > 0;
  RETURN NULL;
END;
$$;

REVOKE ALL ON FUNCTION recorder_storage_usage_add(VARCHAR[], BIGINT[], INTEGER[]), recorder_storage_usage_inserted(),
  recorder_storage_usage_deleted(), recorder_storage_usage_updated() FROM PUBLIC;

-- Taken before the triggers and the first figures: no change to recordings can fall between them.
LOCK TABLE recordings IN SHARE ROW EXCLUSIVE MODE;
CREATE TRIGGER recordings_storage_usage_inserted AFTER INSERT ON recordings
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION recorder_storage_usage_inserted();
CREATE TRIGGER recordings_storage_usage_updated AFTER UPDATE ON recordings
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION recorder_storage_usage_updated();
CREATE TRIGGER recordings_storage_usage_deleted AFTER DELETE ON recordings
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION recorder_storage_usage_deleted();

-- The figures of the recordings there are. FORCEd row security binds the owner running this migration too; it is lifted
-- inside this transaction only (as 010 does).
ALTER TABLE recordings NO FORCE ROW LEVEL SECURITY;
INSERT INTO user_storage_usage (user_id, used_bytes, recordings)
  SELECT user_id, sum(file_size), count(*) FROM recordings WHERE status IN ('uploading', 'processing', 'completed') GROUP BY user_id;
ALTER TABLE recordings FORCE ROW LEVEL SECURITY;
