-- A stand-in for the administrator of Azure Database for PostgreSQL Flexible Server, made once per local
-- cluster by its bootstrap superuser (scripts/lib/services.sh, the tests' PrivatePostgres). The superuser
-- does nothing else: every migration, test and the dev host run as recorder_owner or the app's roles.
--
-- What Azure gives its administrator (docs/architecture.md, "PostgreSQL"): LOGIN, CREATEDB, CREATEROLE,
-- REPLICATION, no SUPERUSER, no BYPASSRLS, and membership of azure_pg_admin, which holds the predefined
-- monitoring and signalling roles. Idempotent: safe on every start.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'azure_pg_admin') THEN
    CREATE ROLE azure_pg_admin NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'recorder_owner') THEN
    CREATE ROLE recorder_owner LOGIN;
  END IF;
END $$;

ALTER ROLE recorder_owner NOSUPERUSER NOBYPASSRLS INHERIT LOGIN CREATEDB CREATEROLE REPLICATION;

GRANT pg_monitor, pg_read_all_settings, pg_read_all_stats, pg_stat_scan_tables, pg_signal_backend TO azure_pg_admin;
GRANT azure_pg_admin TO recorder_owner;
