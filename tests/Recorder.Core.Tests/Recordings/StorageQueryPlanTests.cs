using Dapper;
using Npgsql;
using Recorder.Core.Recordings;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Recordings;

/// <summary>
/// Storage in use is read on every upload (the quota check) and by GET /api/me/storage: both per-user sums
/// must be index-only, whatever the user's number of recordings (bench/results/database.md measured the
/// by-type sum at 470 ms for 100 000 recordings when it fell back to the heap).
/// </summary>
public sealed class StorageQueryPlanTests : IAsyncLifetime
{
    private readonly MigratedDatabase database = new();

    public Task InitializeAsync() => database.InitializeAsync();

    public Task DisposeAsync() => database.DisposeAsync();

    [Fact]
    public async Task A_users_total_and_by_type_usage_are_index_only_scans_of_one_index()
    {
        await using var connection = new NpgsqlConnection(database.OwnerConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        // An empty table is cheapest to scan: forbid that, so the plan shows whether an index can serve the query at all.
        await connection.ExecuteAsync("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off", transaction: transaction);

        foreach (var sql in new[] { StorageQuota.UsageByTypeSql, $"SELECT sum(file_size) FROM recordings WHERE user_id = @UserId AND {StorageQuota.LiveStatusesSql}" })
        {
            var plan = string.Join('\n', await connection.QueryAsync<string>("EXPLAIN " + sql, new { UserId = "someone" }, transaction));
            Assert.True(plan.Contains("Index Only Scan using idx_recordings_user_live_type_size", StringComparison.Ordinal), plan);
        }
    }
}
