-- The roles the app connects as (docs/architecture.md, "Roles"). The migrator/owner is whoever
-- runs `recorder migrate`; it owns every object and is the only one that changes the schema.
--   recorder_app          HTTP functions: not owner, not superuser, NO BYPASSRLS. Row-level
--                         security policies (recordings API) bind it to the caller's rows.
--   recorder_maintenance  timers and ingest: BYPASSRLS, works across users.
-- Roles are per cluster, so they may exist already (another database, an earlier run); creating
-- them tolerates a concurrent creator. No passwords here: locally the private cluster trusts
-- loopback; in Azure the roles are mapped to Microsoft Entra identities (docs/operations.md).

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'recorder_app') THEN
    BEGIN
      CREATE ROLE recorder_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; -- created concurrently
    END;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'recorder_maintenance') THEN
    BEGIN
      CREATE ROLE recorder_maintenance LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END IF;
END $$;

GRANT USAGE ON SCHEMA public TO recorder_app, recorder_maintenance;

-- The app's tables the recorder reads: session-cookie authentication (users, sessions) and
-- ownership checks (projects). It never writes them.
GRANT SELECT ON users, sessions, projects TO recorder_app;
GRANT SELECT ON users, sessions, projects TO recorder_maintenance;

GRANT SELECT, INSERT, UPDATE, DELETE ON recordings, recording_sessions, recording_edits TO recorder_app, recorder_maintenance;
GRANT USAGE ON SEQUENCE recording_sessions_id_seq TO recorder_app, recorder_maintenance;

-- Operators read the applied migrations through GET /api/ops/schema.
GRANT SELECT ON schema_migrations TO recorder_app;

GRANT EXECUTE ON FUNCTION recorder_ensure_weekly_partitions(regclass, integer) TO recorder_maintenance;
