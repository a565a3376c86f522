using Dapper;
using Npgsql;
using Recorder.Testing;
using Recorder.Testing.Data;
using Xunit;

namespace Recorder.Core.Tests.Fixtures;

/// <summary>
/// A class fixture for query plan tests: a migrated database holding <see cref="RealisticData"/>, vacuumed and
/// analyzed as autovacuum leaves tables at rest, so the planner chooses freely on production-like statistics.
/// The planner follows the statistics' shape, not the row count: a few thousand users load in about a second.
/// </summary>
public sealed class RealisticDatabase : IAsyncLifetime
{
    private const int Users = 2_000;
    private const int Recordings = 40_000;

    private readonly MigratedDatabase database = new();

    public MigratedDatabase Database => database;

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        await using var connection = await OpenAsync(database.OwnerConnectionString);
        await using (var maintenance = await OpenAsync(database.MaintenanceConnectionString))
        {
            foreach (var statement in RealisticData.Statements(Users, Recordings, sessionRatio: 0, editRatio: 0))
            {
                // The main app's users and the sequence reset are the owner's; the recorder's rows across users are
                // recorder_maintenance's, since row-level security binds the owner (DatabaseConnections).
                var ownersStatement = statement.StartsWith("INSERT INTO users ", StringComparison.Ordinal)
                    || statement.StartsWith("SELECT setval(", StringComparison.Ordinal);
                await (ownersStatement ? connection : maintenance).ExecuteAsync(statement);
            }
        }
        // An index-only scan's cost counts the heap pages not all-visible: the plans assume the visibility map
        // autovacuum keeps. VACUUM cannot mark rows all-visible while a snapshot older than them is open (an
        // autovacuum worker's ANALYZE of the new rows, say), so it runs again until the map is complete.
        for (var attempt = 1; ; attempt++)
        {
            await connection.ExecuteAsync("VACUUM (ANALYZE) recordings, users, user_storage_limits");
            var (pages, allVisible) = await connection.QuerySingleAsync<(int, int)>("SELECT relpages, relallvisible FROM pg_class WHERE oid = 'recordings'::regclass");
            if (allVisible == pages)
            {
                break;
            }
            if (attempt == 20)
            {
                throw new InvalidOperationException($"VACUUM left {pages - allVisible} of {pages} pages of recordings not all-visible.");
            }
            await Task.Delay(250);
        }
    }

    public Task DisposeAsync() => database.DisposeAsync();

    /// <summary>The user with the most recordings: the case where a scan of the whole table comes closest to winning.</summary>
    public async Task<string> HeaviestUserAsync()
    {
        await using var connection = await OpenAsync(database.MaintenanceConnectionString);
        return await connection.QuerySingleAsync<string>("SELECT user_id FROM recordings GROUP BY user_id ORDER BY count(*) DESC LIMIT 1");
    }

    /// <summary>The user at the median of recording counts: the common case.</summary>
    public async Task<string> MedianUserAsync()
    {
        await using var connection = await OpenAsync(database.MaintenanceConnectionString);
        return await connection.QuerySingleAsync<string>(
            "SELECT user_id FROM (SELECT user_id, count(*) AS n FROM recordings GROUP BY user_id) AS per_user ORDER BY n, user_id OFFSET (SELECT count(DISTINCT user_id) / 2 FROM recordings) LIMIT 1");
    }

    /// <summary>EXPLAIN (FORMAT JSON) of the statement as <paramref name="connectionString"/>'s role runs it, with app.user_id set when given.</summary>
    public async Task<QueryPlan> ExplainAsync(string connectionString, string sql, object parameters, string? userId = null)
    {
        await using var connection = await OpenAsync(connectionString);
        await using var transaction = await connection.BeginTransactionAsync();
        if (userId is not null)
        {
            await connection.ExecuteAsync("SELECT set_config('app.user_id', @userId, true)", new { userId }, transaction);
        }
        return new QueryPlan(await connection.QuerySingleAsync<string>("EXPLAIN (FORMAT JSON) " + sql, parameters, transaction));
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }
}
