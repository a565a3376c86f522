namespace Recorder.Core.Migrations;

/// <summary>
/// The app's two roles, made before any migration runs. Roles belong to the cluster, not to one database,
/// and their attributes are what a non-superuser administrator (Azure's) may give: neither has BYPASSRLS,
/// which PostgreSQL 16+ lets only a BYPASSRLS role grant. recorder_maintenance works across users through
/// row-level security policies of its own instead (migration 025). 006 then finds both and creates nothing.
/// </summary>
internal static class AppRoles
{
    public const string EnsureSql = """
        DO $$
        DECLARE
          role_name text;
        BEGIN
          FOREACH role_name IN ARRAY ARRAY['recorder_app', 'recorder_maintenance'] LOOP
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
              BEGIN
                EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS', role_name);
              EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; -- created concurrently
              END;
            END IF;
          END LOOP;
        END $$
        """;
}
