using Dapper;
using Npgsql;
using Recorder.Core.Migrations;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests.Links;

/// <summary>
/// 011_add_recording_links.sql over a database the main app created, with rows: the app's tables keep
/// their rows, columns and constraints, gain exactly the recorder's lookup indexes and no row-level
/// security, and recorder_app gets only the privileges the links need.
/// </summary>
public sealed class LinksMigrationTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    private const string LinksMigration = "011_add_recording_links.sql";

    private static readonly string[] AppTables = ["users", "sessions", "projects", "content", "content_metrics", "ai_generation_tasks", "social_posts", "social_accounts"];

    private static readonly string[] AddedIndexes =
    [
        "CREATE INDEX idx_recorder_ai_tasks_recording ON public.ai_generation_tasks USING btree (((metadata ->> 'recordingId'::text))) WHERE ((metadata ->> 'recordingId'::text) IS NOT NULL)",
        "CREATE INDEX idx_recorder_content_recording ON public.content USING btree (((metadata ->> 'recordingId'::text))) WHERE ((metadata ->> 'recordingId'::text) IS NOT NULL)",
        "CREATE INDEX idx_recorder_social_posts_recording ON public.social_posts USING btree (((metadata ->> 'recordingId'::text))) WHERE ((metadata ->> 'recordingId'::text) IS NOT NULL)",
    ];

    [Fact]
    public async Task Adds_only_its_indexes_and_grants_to_the_apps_tables()
    {
        var scripts = MigrationScript.LoadDirectory(TestEnvironment.MigrationsDirectory);
        var links = scripts.Single(s => s.Name == LinksMigration);
        var name = await TestDatabases.CreateEmptyAsync("links");
        try
        {
            await using var connection = new NpgsqlConnection(TestDatabases.ConnectionString(name, pooling: false));
            await connection.OpenAsync();
            await connection.ExecuteAsync(await File.ReadAllTextAsync(Path.Combine(TestEnvironment.RepositoryRoot, "tests", "Recorder.Core.Tests", "Fixtures", "existing_app_schema.sql")));
            await TestDatabases.MigrateAsync(name, scripts.Where(s => string.CompareOrdinal(s.Name, LinksMigration) < 0).ToList());
            var before = await SnapshotAsync(connection);

            await TestDatabases.MigrateAsync(name, scripts.Where(s => string.CompareOrdinal(s.Name, LinksMigration) <= 0).ToList());

            var after = await SnapshotAsync(connection);
            Assert.Equal(before.Rows, after.Rows);
            Assert.Equal(before.Columns, after.Columns);
            Assert.Equal(before.Constraints, after.Constraints);
            Assert.Empty(before.Indexes.Except(after.Indexes));
            Assert.Equal(AddedIndexes, after.Indexes.Except(before.Indexes).Order(StringComparer.Ordinal));
            Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM pg_class WHERE relname = ANY(@AppTables) AND (relrowsecurity OR relforcerowsecurity)", new { AppTables }));
            Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM pg_index WHERE NOT indisvalid"));

            // Idempotent, as a no-transaction migration must be: running its statements again changes nothing.
            foreach (var statement in links.SplitStatements())
            {
                await connection.ExecuteAsync(statement);
            }
            Assert.Equal(after.All, (await SnapshotAsync(connection)).All);
        }
        finally
        {
            await TestDatabases.DropAsync(name);
        }
    }

    [Fact]
    public async Task The_app_role_may_only_add_rows_and_clear_references()
    {
        await using var connection = new NpgsqlConnection(database.OwnerConnectionString);
        await connection.OpenAsync();

        foreach (var table in new[] { "content", "social_posts", "ai_generation_tasks" })
        {
            Assert.Equal((true, true, false, false, false), await connection.QuerySingleAsync<(bool, bool, bool, bool, bool)>(
                "SELECT has_table_privilege('recorder_app', @table, 'SELECT'), has_table_privilege('recorder_app', @table, 'INSERT'), has_table_privilege('recorder_app', @table, 'UPDATE'), has_table_privilege('recorder_app', @table, 'DELETE'), has_table_privilege('recorder_app', @table, 'TRUNCATE')",
                new { table }));
        }
        var updatable = (await connection.QueryAsync<string>(
            """
            SELECT c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relname IN ('users', 'sessions', 'projects', 'content', 'social_posts', 'ai_generation_tasks') AND a.attnum > 0 AND NOT a.attisdropped
              AND has_column_privilege('recorder_app', c.oid, a.attnum, 'UPDATE')
            ORDER BY 1
            """)).ToList();
        Assert.Equal(
            [
                "ai_generation_tasks.metadata",
                "content.metadata", "content.thumbnail_url", "content.updated_at", "content.video_url",
                "social_posts.media_urls", "social_posts.metadata", "social_posts.thumbnail_url", "social_posts.updated_at",
            ],
            updatable);
        Assert.False(await connection.ExecuteScalarAsync<bool>("SELECT has_table_privilege('recorder_app', 'projects', 'INSERT') OR has_table_privilege('recorder_app', 'content_metrics', 'SELECT')"));
    }

    [Theory]
    [InlineData("content", "idx_recorder_content_recording")]
    [InlineData("social_posts", "idx_recorder_social_posts_recording")]
    [InlineData("ai_generation_tasks", "idx_recorder_ai_tasks_recording")]
    public async Task Lookups_by_recording_use_the_partial_index(string table, string index)
    {
        await using var connection = new NpgsqlConnection(database.OwnerConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("SET LOCAL enable_seqscan = off", transaction: transaction);

        // The shape of the links' and the delete rule's statements: equality on the expression implies the index predicate.
        var plan = string.Join('\n', await connection.QueryAsync<string>(
            $"EXPLAIN SELECT id FROM {table} WHERE user_id = 'u' AND metadata ->> 'recordingId' = 42::bigint::text", transaction: transaction));

        Assert.Contains(index, plan);
    }

    private sealed record Snapshot(List<string> Rows, List<string> Columns, List<string> Constraints, List<string> Indexes)
    {
        public IEnumerable<string> All => Rows.Concat(Columns).Concat(Constraints).Concat(Indexes);
    }

    private static async Task<Snapshot> SnapshotAsync(NpgsqlConnection connection)
    {
        var snapshot = new Snapshot([], [], [], []);
        foreach (var table in AppTables)
        {
            snapshot.Rows.Add(table + " " + await connection.ExecuteScalarAsync<string>($"SELECT coalesce(string_agg(t::text, '|' ORDER BY t::text), '') FROM {table} t"));
            snapshot.Columns.AddRange(await connection.QueryAsync<string>(
                "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') FROM information_schema.columns WHERE table_name = @table ORDER BY ordinal_position",
                new { table }));
            snapshot.Constraints.AddRange(await connection.QueryAsync<string>(
                "SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = @table::regclass ORDER BY conname", new { table }));
            snapshot.Indexes.AddRange(await connection.QueryAsync<string>(
                "SELECT indexdef FROM pg_indexes WHERE tablename = @table ORDER BY indexname", new { table }));
        }
        return snapshot;
    }
}
