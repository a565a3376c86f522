-- One row per recording attempt in the browser: started, kept alive by heartbeats, then
-- completed or interrupted. High volume and short-lived (30 days), so the table is
-- partitioned by week of started_at (the partitions and their upkeep come in 005;
-- docs/architecture.md, "Partitioning", says why and how keys stay correct):
--   * the primary key is (id, started_at): a partitioned table's unique keys must hold the
--     partition key. id alone comes from one sequence, so it is unique in practice too.
--   * PostgreSQL 15 has no identity columns on partitioned tables: id uses a sequence default.
--   * nothing references recording_sessions; it references recordings (SET NULL), which is
--     not partitioned, so every foreign key stays an ordinary one.
-- The seed put its user index on the auth `sessions` table (which has no user_id); it belongs here.

CREATE SEQUENCE recording_sessions_id_seq AS BIGINT;

CREATE TABLE recording_sessions (
  id BIGINT NOT NULL DEFAULT nextval('recording_sessions_id_seq'),
  user_id VARCHAR NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  recording_type VARCHAR NOT NULL
    CHECK (recording_type IN ('camera', 'audio', 'screen', 'screen-camera', 'slides-camera', 'slides')),
  started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  ended_at TIMESTAMPTZ,
  last_heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  duration NUMERIC(10,3) CHECK (duration >= 0),             -- seconds, as the browser measured it
  device_info JSONB NOT NULL DEFAULT '{}'::jsonb,
  settings JSONB NOT NULL DEFAULT '{}'::jsonb,
  status VARCHAR NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'interrupted')),
  error_message TEXT,
  error_code VARCHAR(100),
  recording_id BIGINT REFERENCES recordings(id) ON DELETE SET NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (id, started_at),
  CHECK (ended_at IS NULL OR ended_at >= started_at)
) PARTITION BY RANGE (started_at);

ALTER SEQUENCE recording_sessions_id_seq OWNED BY recording_sessions.id;

CREATE INDEX idx_recording_sessions_user_started ON recording_sessions (user_id, started_at DESC);
-- The stale-session sweeper looks only at active sessions.
CREATE INDEX idx_recording_sessions_active_heartbeat ON recording_sessions (last_heartbeat_at) WHERE status = 'active';
-- Serves ON DELETE SET NULL when a recording is deleted.
CREATE INDEX idx_recording_sessions_recording_id ON recording_sessions (recording_id) WHERE recording_id IS NOT NULL;
