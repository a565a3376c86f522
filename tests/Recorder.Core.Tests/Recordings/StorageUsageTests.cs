using Dapper;
using Npgsql;
using Recorder.Core.Data;
using Recorder.Core.Tests.Fixtures;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Recordings;

/// <summary>
/// user_storage_usage (migration 034) equals the sum over each user's live recordings after every kind of change the
/// app's paths make to recordings — each step below is the row change one path makes — and no app role can write it.
/// </summary>
public sealed class StorageUsageTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    private const string UsageSql = "SELECT user_id, used_bytes, recordings FROM user_storage_usage ORDER BY user_id";

    private const string SumSql = """
        SELECT user_id, sum(file_size)::bigint, count(*)::int FROM recordings
        WHERE status IN ('uploading', 'processing', 'completed') GROUP BY user_id ORDER BY user_id
        """;

    private const string InsertSql = """
        INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name, status, live)
        SELECT @UserId, 'Usage ' || g, 'camera', @Size, 'video/webm', @UserId || '/' || @Tag || g || '.webm', @Status, @Live
        FROM generate_series(1, @Count) AS g
        """;

    [Fact]
    public async Task The_usage_row_equals_the_sum_after_every_kind_of_change()
    {
        string[] users = ["usage-a", "usage-b", "usage-c"];
        await using (var owner = await database.OpenOwnerAsync())
        {
            await owner.ExecuteAsync("INSERT INTO users (id, email, password, first_name, last_name) " +
                "SELECT id, id || '@example.test', 'x', 'U', 'S' FROM unnest(@users) AS id", new { users });
        }
        await using var maintenance = await database.OpenMaintenanceAsync();
        async Task ChangeAsync(string kind, string sql, object? parameters = null)
        {
            await maintenance.ExecuteAsync(sql, parameters);
            var usage = (await maintenance.QueryAsync<(string, long, int)>(UsageSql)).AsList();
            var sum = (await maintenance.QueryAsync<(string, long, int)>(SumSql)).AsList();
            Assert.True(sum.SequenceEqual(usage), $"after {kind}: usage [{string.Join(", ", usage)}], sum [{string.Join(", ", sum)}]");
        }

        // Upload URLs (one row), and an import of several at once.
        await ChangeAsync("create", InsertSql,
            new { UserId = "usage-a", Size = 1000L, Tag = "a", Status = "uploading", Live = false, Count = 1 });
        await ChangeAsync("create many", InsertSql,
            new { UserId = "usage-b", Size = 500L, Tag = "b", Status = "uploading", Live = false, Count = 5 });
        // Ingest: processing, then completed with the blob's real size.
        await ChangeAsync("processing", "UPDATE recordings SET status = 'processing' WHERE user_id = 'usage-a'");
        await ChangeAsync("complete with real size",
            "UPDATE recordings SET status = 'completed', file_size = 777 WHERE user_id = 'usage-a'");
        // Ingest or the abandoned-upload sweep fails one: it no longer counts.
        await ChangeAsync("fail",
            "UPDATE recordings SET status = 'failed' WHERE id = (SELECT min(id) FROM recordings WHERE user_id = 'usage-b')");
        // A live upload reserves its expected size; its recovery commits what was staged and queues it.
        await ChangeAsync("live create", InsertSql,
            new { UserId = "usage-c", Size = 9000L, Tag = "c", Status = "uploading", Live = true, Count = 2 });
        await ChangeAsync("live recovery", "UPDATE recordings SET status = 'processing', file_size = 1234, recovered_at = now() " +
            "WHERE id = (SELECT min(id) FROM recordings WHERE user_id = 'usage-c')");
        // The API delete: marked, then purged with its blobs.
        await ChangeAsync("delete (mark)",
            "UPDATE recordings SET status = 'deleting' WHERE id = (SELECT max(id) FROM recordings WHERE user_id = 'usage-b')");
        await ChangeAsync("delete (purge)", "DELETE FROM recordings WHERE status = 'deleting'");
        // Retention: a batch across users marked, then purged.
        await ChangeAsync("retention (mark)", "UPDATE recordings SET status = 'deleting' WHERE status = 'completed' OR id IN " +
            "(SELECT min(id) FROM recordings WHERE user_id IN ('usage-b', 'usage-c') AND status <> 'failed' GROUP BY user_id)");
        await ChangeAsync("retention (purge)", "DELETE FROM recordings WHERE status = 'deleting'");
        // A change that moves no bytes leaves the figures as they are.
        await ChangeAsync("title", "UPDATE recordings SET title = 'Renamed'");
        // Erasure: every recording of a user goes, and so does the user's row.
        await ChangeAsync("erase", "DELETE FROM recordings WHERE user_id = 'usage-b'");
        Assert.Equal(0, await maintenance.ExecuteScalarAsync<int>("SELECT count(*) FROM user_storage_usage WHERE user_id = 'usage-b'"));
        Assert.NotEmpty(await maintenance.QueryAsync(UsageSql));
    }

    [Fact]
    public async Task The_app_reads_its_own_users_row_only_and_no_app_role_can_change_a_figure()
    {
        await using (var owner = await database.OpenOwnerAsync())
        {
            await owner.ExecuteAsync("INSERT INTO users (id, email, password, first_name, last_name) VALUES " +
                "('usage-own', 'own@example.test', 'x', 'U', 'S'), ('usage-other', 'other@example.test', 'x', 'U', 'S')");
        }
        await using (var maintenance = await database.OpenMaintenanceAsync())
        {
            foreach (var (userId, size) in new[] { ("usage-own", 10L), ("usage-other", 20L) })
            {
                await maintenance.ExecuteAsync(InsertSql,
                    new { UserId = userId, Size = size, Tag = userId, Status = "completed", Live = false, Count = 1 });
            }
            var denied = await Assert.ThrowsAsync<PostgresException>(() => maintenance.ExecuteAsync(
                "UPDATE user_storage_usage SET used_bytes = 0"));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
        }
        await using var dataSources = database.CreateDataSources();
        var seen = await dataSources.App.RunAsUserAsync("usage-own", async (connection, transaction) =>
            (await connection.QueryAsync<string>(
                new CommandDefinition("SELECT user_id FROM user_storage_usage", transaction: transaction))).AsList(),
            CancellationToken.None);
        Assert.Equal(["usage-own"], seen);
        foreach (var sql in new[]
        {
            "UPDATE user_storage_usage SET used_bytes = 0",
            "SELECT recorder_storage_usage_add(ARRAY['usage-own']::varchar[], ARRAY[-10]::bigint[], ARRAY[0])",
        })
        {
            var denied = await Assert.ThrowsAsync<PostgresException>(() => dataSources.App.RunAsUserAsync("usage-own",
                (connection, transaction) => connection.ExecuteAsync(new CommandDefinition(sql, transaction: transaction)),
                CancellationToken.None));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
        }
    }
}
