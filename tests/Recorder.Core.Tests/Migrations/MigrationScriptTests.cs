using Recorder.Core.Migrations;
using Xunit;

namespace Recorder.Core.Tests.Migrations;

public sealed class MigrationScriptTests
{
    [Fact]
    public void Line_endings_do_not_change_the_checksum()
        => Assert.Equal(MigrationScript.FromText("001_a.sql", "SELECT 1;\nSELECT 2;\n").Checksum, MigrationScript.FromText("001_a.sql", "SELECT 1;\r\nSELECT 2;\r\n").Checksum);

    [Fact]
    public void Any_other_edit_changes_the_checksum()
        => Assert.NotEqual(MigrationScript.FromText("001_a.sql", "SELECT 1;").Checksum, MigrationScript.FromText("001_a.sql", "SELECT 1; ").Checksum);

    [Fact]
    public void A_marked_file_runs_outside_a_transaction_statement_by_statement()
    {
        var script = MigrationScript.FromText("004_x.sql", """
            -- recorder:no-transaction
            -- Why these indexes exist.
            CREATE INDEX CONCURRENTLY IF NOT EXISTS a ON t (x);

            -- Second one.
            CREATE INDEX CONCURRENTLY IF NOT EXISTS b
              ON t (y);
            """);

        Assert.False(script.RunsInTransaction);
        Assert.Equal(["CREATE INDEX CONCURRENTLY IF NOT EXISTS a ON t (x)", "CREATE INDEX CONCURRENTLY IF NOT EXISTS b\n  ON t (y)"], script.SplitStatements());
    }

    [Fact]
    public void The_indexes_a_file_builds_concurrently_are_known_by_their_names()
    {
        var script = MigrationScript.FromText("011_x.sql", """
            -- recorder:no-transaction
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_a ON t (x);
            CREATE UNIQUE INDEX CONCURRENTLY idx_b
              ON t (y);
            create index concurrently if not exists "Idx C" on t (z);
            CREATE INDEX CONCURRENTLY IF NOT EXISTS public.idx_d ON t (w);
            DROP INDEX CONCURRENTLY IF EXISTS idx_old;
            """);

        Assert.Equal(["idx_a", "idx_b", "\"Idx C\"", "public.idx_d"], script.ConcurrentIndexNames());
    }

    [Fact]
    public void Every_shipped_migration_loads_in_number_order()
    {
        var names = MigrationScript.LoadDirectory(Testing.TestEnvironment.MigrationsDirectory).Select(s => s.Name).ToList();
        Assert.Equal(["000_app_baseline.sql", "001_add_recordings_table.sql", "002_add_recording_sessions.sql", "003_add_recording_edits.sql", "004_add_storage_indexes.sql", "005_add_partitioning.sql"], names.Take(6));
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public void Badly_named_or_duplicate_numbered_files_are_refused()
    {
        using var folder = new MigrationsFolder([]);
        folder.Write("001_one.sql", "SELECT 1;");
        folder.Write("001_other.sql", "SELECT 1;");
        Assert.Contains("share the number 001", Assert.Throws<MigrationException>(folder.Load).Message);

        using var misnamed = new MigrationsFolder([]);
        misnamed.Write("2_Thing.sql", "SELECT 1;");
        Assert.Contains("'2_Thing.sql' does not match", Assert.Throws<MigrationException>(misnamed.Load).Message);
    }
}
