using Dapper;
using Npgsql;
using Recorder.Core.Migrations;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Migrations;

/// <summary>recorder migrate against real PostgreSQL, each test on a database of its own.</summary>
public sealed class MigrationRunnerTests
{
    private static IReadOnlyList<MigrationScript> Scripts => MigrationScript.LoadDirectory(TestEnvironment.MigrationsDirectory);

    [Fact]
    public async Task Migrates_an_empty_database_to_the_full_schema()
    {
        await using var database = await ScratchDatabase.CreateAsync("empty");

        await TestDatabases.MigrateAsync(database.Name, Scripts);

        await using var connection = await database.OpenAsync();
        var journal = (await connection.QueryAsync<(string Name, string Checksum)>("SELECT name, checksum FROM schema_migrations ORDER BY name")).ToList();
        Assert.Equal(Scripts.Select(s => (s.Name, s.Checksum)), journal);
        foreach (var table in new[] { "users", "sessions", "projects", "content", "content_metrics", "ai_generation_tasks", "social_posts", "social_accounts", "recordings", "recording_sessions", "recording_edits" })
        {
            Assert.True(await connection.ExecuteScalarAsync<bool>("SELECT to_regclass(@table) IS NOT NULL", new { table }), table);
        }
        Assert.Equal("'uploading'::character varying", await connection.ExecuteScalarAsync<string>(
            "SELECT column_default FROM information_schema.columns WHERE table_name = 'recordings' AND column_name = 'status'"));
        Assert.Equal("YES", await connection.ExecuteScalarAsync<string>(
            "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'recordings' AND column_name = 'duration'"));
        // Constraints added NOT VALID (013, 022) are validated by a later migration (023).
        Assert.Empty(await connection.QueryAsync<string>("SELECT conrelid::regclass || '.' || conname FROM pg_constraint WHERE NOT convalidated"));
    }

    [Fact]
    public async Task Running_again_applies_nothing_and_changes_nothing()
    {
        await using var database = await ScratchDatabase.CreateAsync("rerun");
        await TestDatabases.MigrateAsync(database.Name, Scripts);
        await using var connection = await database.OpenAsync();
        var before = (await connection.QueryAsync<(string, DateTime)>("SELECT name, applied_at FROM schema_migrations ORDER BY name")).ToList();

        var result = await database.RunnerMigrateAsync(Scripts);

        Assert.Empty(result.Applied);
        Assert.Equal(Scripts.Count, result.AlreadyApplied);
        Assert.Equal(before, await connection.QueryAsync<(string, DateTime)>("SELECT name, applied_at FROM schema_migrations ORDER BY name"));
    }

    [Fact]
    public async Task Leaves_the_apps_existing_tables_and_rows_as_they_were()
    {
        await using var database = await ScratchDatabase.CreateAsync("existing");
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "existing_app_schema.sql")));
        var appTables = new[] { "users", "sessions", "projects", "content", "content_metrics", "ai_generation_tasks", "social_posts", "social_accounts" };
        var before = await SnapshotAsync(connection, appTables);

        await TestDatabases.MigrateAsync(database.Name, Scripts);

        Assert.Equal(before, await SnapshotAsync(connection, appTables));
        // The recorder's tables now hang off the existing rows; row-level security binds the owner, so it writes as the user.
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("SELECT set_config('app.user_id', 'u-1', true)", transaction: transaction);
        var recordingId = await connection.ExecuteScalarAsync<long>(
            "INSERT INTO recordings (user_id, project_id, title, recording_type, file_size, mime_type, blob_name) " +
            "VALUES ('u-1', 1, 'Intro', 'camera', 1024, 'video/webm', 'u-1/intro.webm') RETURNING id", transaction: transaction);
        await transaction.CommitAsync();
        Assert.True(recordingId > 0);
    }

    [Fact]
    public async Task Refuses_to_run_when_an_applied_migration_was_edited()
    {
        using var folder = new MigrationsFolder(Scripts);
        await using var database = await ScratchDatabase.CreateAsync("edited");
        await TestDatabases.MigrateAsync(database.Name, folder.Load());
        folder.Append("003_add_recording_edits.sql", "\n-- an afterthought\n");
        folder.Write("900_add_followup.sql", "CREATE TABLE followup (id int);");

        var error = await Assert.ThrowsAsync<MigrationException>(() => database.RunnerMigrateAsync(folder.Load()));

        Assert.Contains("003_add_recording_edits.sql was edited after it was applied", error.Message);
        await using var connection = await database.OpenAsync();
        Assert.False(await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('followup') IS NOT NULL"));
    }

    [Fact]
    public async Task A_failing_migration_is_rolled_back_whole_and_not_journaled()
    {
        using var folder = new MigrationsFolder(Scripts.Take(2));
        folder.Write("002_half_done.sql", "CREATE TABLE half_done (id int);\nINSERT INTO half_done VALUES (1);\nSELECT 1 / 0;");
        await using var database = await ScratchDatabase.CreateAsync("failing");

        var error = await Assert.ThrowsAsync<MigrationException>(() => database.RunnerMigrateAsync(folder.Load()));

        Assert.Contains("002_half_done.sql failed: 22012", error.Message);
        Assert.Contains("rolled back", error.Message);
        await using var connection = await database.OpenAsync();
        Assert.False(await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('half_done') IS NOT NULL"));
        Assert.Equal(["000_app_baseline.sql", "001_add_recordings_table.sql"], await connection.QueryAsync<string>("SELECT name FROM schema_migrations ORDER BY name"));
    }

    [Fact]
    public async Task A_new_file_numbered_below_the_newest_applied_one_is_refused_and_nothing_is_applied()
    {
        using var folder = new MigrationsFolder([]);
        folder.Write("001_first.sql", "CREATE TABLE first (id int);");
        folder.Write("003_third.sql", "CREATE TABLE third (id int);");
        await using var database = await ScratchDatabase.CreateAsync("late");
        await database.RunnerMigrateAsync(folder.Load());
        folder.Write("002_second.sql", "CREATE TABLE second (id int);");
        folder.Write("004_fourth.sql", "CREATE TABLE fourth (id int);");

        var error = await Assert.ThrowsAsync<MigrationException>(() => database.RunnerMigrateAsync(folder.Load()));

        Assert.Contains("002_second.sql is numbered at or below 003_third.sql", error.Message);
        await using var connection = await database.OpenAsync();
        Assert.Equal(["001_first.sql", "003_third.sql"], await connection.QueryAsync<string>("SELECT name FROM schema_migrations ORDER BY name"));
        Assert.False(await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('second') IS NOT NULL OR to_regclass('fourth') IS NOT NULL"));

        // A new database applies the same files, in number order.
        await using var fresh = await ScratchDatabase.CreateAsync("latefresh");
        Assert.Equal(["001_first.sql", "002_second.sql", "003_third.sql", "004_fourth.sql"], (await fresh.RunnerMigrateAsync(folder.Load())).Applied);
    }

    [Fact]
    public async Task An_index_a_failed_concurrent_build_left_invalid_stops_the_next_run_naming_it()
    {
        using var folder = new MigrationsFolder([]);
        folder.Write("001_table.sql", "CREATE TABLE t (x int);\nINSERT INTO t VALUES (1), (1);");
        folder.Write("002_index.sql", "-- recorder:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_t_x ON t (x);\n");
        await using var database = await ScratchDatabase.CreateAsync("invalidindex");
        var failedBuild = await Assert.ThrowsAsync<MigrationException>(() => database.RunnerMigrateAsync(folder.Load()));
        Assert.Contains("002_index.sql failed: 23505", failedBuild.Message);
        await using var connection = await database.OpenAsync();
        Assert.False(await connection.ExecuteScalarAsync<bool>("SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_t_x'::regclass"));

        // IF NOT EXISTS skips the invalid index that is there: the run must not count that as done.
        var error = await Assert.ThrowsAsync<MigrationException>(() => database.RunnerMigrateAsync(folder.Load()));

        Assert.Contains("002_index.sql left index idx_t_x INVALID", error.Message);
        Assert.Equal(["001_table.sql"], await connection.QueryAsync<string>("SELECT name FROM schema_migrations ORDER BY name"));

        // What the message says to do works.
        await connection.ExecuteAsync("DELETE FROM t");
        await connection.ExecuteAsync("DROP INDEX CONCURRENTLY idx_t_x");
        Assert.Equal(["002_index.sql"], (await database.RunnerMigrateAsync(folder.Load())).Applied);
        Assert.True(await connection.ExecuteScalarAsync<bool>("SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_t_x'::regclass"));
    }

    [Fact]
    public async Task Two_concurrent_recorder_migrate_processes_apply_each_file_once()
    {
        await using var database = await ScratchDatabase.CreateAsync("concurrent");
        var connectionString = TestDatabases.ConnectionString(database.Name, pooling: false);

        // Hold the lock until both processes are connected and waiting, so they really race for it.
        await using var holder = await database.OpenAsync();
        await holder.ExecuteAsync("SELECT pg_advisory_lock(@LockKey)", new { MigrationRunner.LockKey });
        var both = Task.WhenAll(RecorderCli.RunAsync("migrate", "--connection", connectionString), RecorderCli.RunAsync("migrate", "--connection", connectionString));
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (await holder.ExecuteScalarAsync<int>("SELECT count(*) FROM pg_stat_activity WHERE datname = @Name AND application_name = 'recorder-migrate'", new { database.Name }) < 2)
            {
                Assert.False(both.IsCompleted, "a migrator finished while the lock was held");
                await Task.Delay(50, timeout.Token);
            }
        }
        await holder.ExecuteAsync("SELECT pg_advisory_unlock(@LockKey)", new { MigrationRunner.LockKey });
        var runs = await both;

        Assert.All(runs, run => Assert.True(run.ExitCode == 0, run.Output));
        var appliedCounts = runs.Select(run => int.Parse(System.Text.RegularExpressions.Regex.Match(run.Output, @"Applied (\d+) migration").Groups[1].Value)).ToList();
        Assert.Equal(Scripts.Count, appliedCounts.Sum());
        Assert.Contains(0, appliedCounts);
        await using var connection = await database.OpenAsync();
        Assert.Equal(Scripts.Count, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Recorder_migrate_reports_an_edited_migration_and_exits_non_zero()
    {
        using var folder = new MigrationsFolder(Scripts);
        await using var database = await ScratchDatabase.CreateAsync("cliedited");
        await TestDatabases.MigrateAsync(database.Name, folder.Load());
        folder.Append("001_add_recordings_table.sql", "-- edited\n");

        var run = await RecorderCli.RunAsync("migrate", "--connection", TestDatabases.ConnectionString(database.Name, pooling: false), "--migrations", folder.Path);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("001_add_recordings_table.sql was edited after it was applied", run.Output);
    }

    // Data and definitions of every app table: row contents, columns and constraints.
    private static async Task<List<string>> SnapshotAsync(NpgsqlConnection connection, IEnumerable<string> tables)
    {
        var snapshot = new List<string>();
        foreach (var table in tables)
        {
            snapshot.Add(table + " rows " + await connection.ExecuteScalarAsync<string>($"SELECT coalesce(string_agg(t::text, '|' ORDER BY t::text), '') FROM {table} t"));
            snapshot.AddRange(await connection.QueryAsync<string>(
                "SELECT column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') FROM information_schema.columns WHERE table_name = @table ORDER BY ordinal_position",
                new { table }));
            snapshot.AddRange(await connection.QueryAsync<string>(
                "SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = @table::regclass ORDER BY conname", new { table }));
            snapshot.AddRange(await connection.QueryAsync<string>(
                // Our own lookup indexes on the app's tables (011, idx_recorder_*) are the one addition; LinksMigrationTests checks them.
                "SELECT indexdef FROM pg_indexes WHERE tablename = @table AND indexname NOT LIKE 'idx\\_recorder\\_%' ORDER BY indexname", new { table }));
        }
        return snapshot;
    }
}
