using Dapper;
using Npgsql;
using Recorder.Core.Data;
using Recorder.Core.Recordings;
using Recorder.Core.Tests.Fixtures;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Data;

/// <summary>
/// The app's pool skips Npgsql's session reset when a connection goes back to it (<see cref="RecorderDataSources"/>), so
/// nothing a request sets may outlive its transaction: the next request on the same connection sees no user and holds no lock.
/// </summary>
public sealed class AppPoolResetTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    private const string UserId = "reset-user";

    // What a request leaves on its connection: the user row-level security binds, and advisory locks held.
    private const string LeftoversSql = """
        SELECT pg_backend_pid() AS Pid, coalesce(current_setting('app.user_id', true), '') AS UserId,
               (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid())::int AS AdvisoryLocks
        """;

    [Fact]
    public async Task The_app_pool_skips_the_reset_unless_the_connection_string_asks_for_it()
    {
        await using var dataSources = database.CreateDataSources();
        await using var withReset = RecorderDataSources.Build(database.AppConnectionString + ";No Reset On Close=false", "test",
            skipResetByDefault: true);

        Assert.True(new NpgsqlConnectionStringBuilder(dataSources.App.ConnectionString).NoResetOnClose);
        Assert.False(new NpgsqlConnectionStringBuilder(dataSources.Maintenance.ConnectionString).NoResetOnClose);
        Assert.False(new NpgsqlConnectionStringBuilder(withReset.ConnectionString).NoResetOnClose);
    }

    [Fact]
    public async Task A_connection_back_from_a_user_transaction_carries_no_user_and_no_quota_lock()
    {
        await using var dataSources = database.CreateDataSources();
        var inside = await dataSources.App.RunAsUserAsync(UserId,
            (connection, transaction) => LeftoversAsync(connection, transaction), StorageQuota.LockUserExpression, CancellationToken.None);
        Assert.Equal((UserId, 1), (inside.UserId, inside.AdvisoryLocks));

        var after = await NextRentAsync(dataSources.App);

        Assert.Equal(inside.Pid, after.Pid);
        Assert.Equal(("", 0), (after.UserId, after.AdvisoryLocks));
    }

    [Fact]
    public async Task A_connection_back_from_a_failed_user_transaction_carries_no_user_and_no_quota_lock()
    {
        await using var dataSources = database.CreateDataSources();
        var pid = 0;
        await Assert.ThrowsAsync<InvalidOperationException>(() => dataSources.App.RunAsUserAsync<int>(UserId,
            async (connection, transaction) =>
            {
                pid = (await LeftoversAsync(connection, transaction)).Pid;
                throw new InvalidOperationException("The request failed inside its transaction.");
            }, StorageQuota.LockUserExpression, CancellationToken.None));

        var after = await NextRentAsync(dataSources.App);

        Assert.Equal(pid, after.Pid);
        Assert.Equal(("", 0), (after.UserId, after.AdvisoryLocks));
    }

    [Fact]
    public async Task A_connection_back_from_a_one_round_trip_unit_of_work_carries_no_user_and_no_quota_lock()
    {
        await using var dataSources = database.CreateDataSources();
        var inside = await dataSources.App.QuerySingleAsUserAsync<Leftovers>(UserId, StorageQuota.LockUserExpression, LeftoversSql,
            new { }, CancellationToken.None);
        Assert.Equal((UserId, 1), (inside.UserId, inside.AdvisoryLocks));

        var after = await NextRentAsync(dataSources.App);

        Assert.Equal(inside.Pid, after.Pid);
        Assert.Equal(("", 0), (after.UserId, after.AdvisoryLocks));
    }

    [Fact]
    public async Task A_connection_back_from_a_failed_one_round_trip_unit_of_work_carries_no_user_and_no_quota_lock()
    {
        await using var dataSources = database.CreateDataSources();

        var failure = await Assert.ThrowsAsync<PostgresException>(() => dataSources.App.QuerySingleAsUserAsync<int>(UserId,
            StorageQuota.LockUserExpression,
            "SELECT 1 / (SELECT count(*)::int - 1 FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory')", new { },
            CancellationToken.None));

        Assert.Equal(PostgresErrorCodes.DivisionByZero, failure.SqlState);
        Assert.Equal(("", 0), ((await NextRentAsync(dataSources.App)).UserId, (await NextRentAsync(dataSources.App)).AdvisoryLocks));
    }

    private static async Task<Leftovers> NextRentAsync(NpgsqlDataSource app)
    {
        await using var connection = await app.OpenConnectionAsync();
        return await LeftoversAsync(connection, transaction: null);
    }

    private static Task<Leftovers> LeftoversAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction)
        => connection.QuerySingleAsync<Leftovers>(new CommandDefinition(LeftoversSql, transaction: transaction));

    private sealed record Leftovers(int Pid, string UserId, int AdvisoryLocks);
}
