using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Sessions;
using Recorder.Core.Tests.Fixtures;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Sessions;

/// <summary>
/// The sweep against the migrated schema, run as recorder_maintenance like the timer runs it. The sweep
/// works across users, so each test has a database of its own (xunit makes an instance per test).
/// </summary>
public sealed class StaleSessionSweeperTests : IAsyncLifetime
{
    private readonly MigratedDatabase database = new();

    public Task InitializeAsync() => database.InitializeAsync();

    public Task DisposeAsync() => database.DisposeAsync();

    [Fact]
    public async Task Interrupts_only_active_sessions_whose_heartbeat_is_older_than_the_setting()
    {
        var userId = await NewUserAsync();
        var stale = await InsertAsync(userId, "active", heartbeatAgo: TimeSpan.FromMinutes(10), startedAgo: TimeSpan.FromMinutes(30));
        var recent = await InsertAsync(userId, "active", heartbeatAgo: TimeSpan.FromSeconds(30), startedAgo: TimeSpan.FromMinutes(30));
        var completed = await InsertAsync(userId, "completed", heartbeatAgo: TimeSpan.FromMinutes(10), startedAgo: TimeSpan.FromMinutes(30));

        Assert.Equal(1, await SweepAsync(new SessionOptions { StaleAfter = TimeSpan.FromMinutes(2) }));

        await using var connection = await OpenMaintenanceAsync();
        var swept = await connection.QuerySingleAsync<(string Status, string ErrorCode, string ErrorMessage, bool EndedAtLastHeartbeat)>(
            "SELECT status, error_code, error_message, ended_at = last_heartbeat_at FROM recording_sessions WHERE id = @stale", new { stale });
        Assert.Equal(("interrupted", "heartbeat_timeout", true), (swept.Status, swept.ErrorCode, swept.EndedAtLastHeartbeat));
        Assert.Contains("No heartbeat for more than 120 seconds", swept.ErrorMessage);
        Assert.Equal(("active", (DateTime?)null), await connection.QuerySingleAsync<(string, DateTime?)>("SELECT status, ended_at FROM recording_sessions WHERE id = @recent", new { recent }));
        Assert.Equal("completed", await connection.ExecuteScalarAsync<string>("SELECT status FROM recording_sessions WHERE id = @completed", new { completed }));
        Assert.Equal(0, await SweepAsync(new SessionOptions { StaleAfter = TimeSpan.FromMinutes(2) }));
    }

    [Fact]
    public async Task Audits_each_interruption_as_the_system_on_behalf_of_the_owner()
    {
        var userId = await NewUserAsync();
        var stale = await InsertAsync(userId, "active", heartbeatAgo: TimeSpan.FromMinutes(5), startedAgo: TimeSpan.FromMinutes(6));

        await SweepAsync(new SessionOptions());

        await using var connection = await OpenMaintenanceAsync();
        var entry = await connection.QuerySingleAsync<(string ActorType, string ActorId, string Action, string Outcome, string Details)>(
            "SELECT actor_type, actor_id, action, outcome, details::text FROM audit_log WHERE user_id = @userId", new { userId });
        Assert.Equal(("system", "stale-session-sweep", "recording_session.interrupt", "success"), (entry.ActorType, entry.ActorId, entry.Action, entry.Outcome));
        using var details = JsonDocument.Parse(entry.Details);
        Assert.Equal(stale, details.RootElement.GetProperty("sessionId").GetInt64());
        Assert.Equal("heartbeat_timeout", details.RootElement.GetProperty("errorCode").GetString());
    }

    [Fact]
    public async Task Works_in_bounded_batches_and_leaves_the_rest_for_the_next_run()
    {
        var userId = await NewUserAsync();
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await InsertAsync(userId, "active", heartbeatAgo: TimeSpan.FromMinutes(20 - i), startedAgo: TimeSpan.FromMinutes(30)));
        }

        Assert.Equal(2, await SweepAsync(new SessionOptions { SweepBatchSize = 2, SweepMaxBatches = 1 }));
        // Oldest heartbeat first.
        Assert.Equal(ids[..2], await StatusAsync(userId, "interrupted"));
        Assert.Equal(3, await SweepAsync(new SessionOptions { SweepBatchSize = 2, SweepMaxBatches = 5 }));
        Assert.Equal(ids, await StatusAsync(userId, "interrupted"));
    }

    [Fact]
    public async Task Passes_over_a_session_whose_heartbeat_is_being_written()
    {
        var userId = await NewUserAsync();
        var busy = await InsertAsync(userId, "active", heartbeatAgo: TimeSpan.FromMinutes(10), startedAgo: TimeSpan.FromMinutes(30));
        var idle = await InsertAsync(userId, "active", heartbeatAgo: TimeSpan.FromMinutes(10), startedAgo: TimeSpan.FromMinutes(30));

        await using var heartbeat = await OpenMaintenanceAsync();
        await using var transaction = await heartbeat.BeginTransactionAsync();
        await heartbeat.ExecuteAsync("UPDATE recording_sessions SET last_heartbeat_at = now() WHERE id = @busy", new { busy }, transaction);

        Assert.Equal(1, await SweepAsync(new SessionOptions()));
        await transaction.CommitAsync();

        Assert.Equal([idle], await StatusAsync(userId, "interrupted"));
        Assert.Equal([busy], await StatusAsync(userId, "active"));
    }

    private async Task<int> SweepAsync(SessionOptions options)
    {
        await using var dataSources = database.CreateDataSources();
        return await new StaleSessionSweeper(dataSources, Options.Create(options), NullLogger<StaleSessionSweeper>.Instance).SweepAsync(CancellationToken.None);
    }

    private async Task<string> NewUserAsync()
    {
        var userId = "sweep-" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = await OpenOwnerAsync();
        await connection.ExecuteAsync("INSERT INTO users (id, email, password, first_name, last_name) VALUES (@userId, @userId || '@example.test', 'x', 'Sweep', 'Test')", new { userId });
        return userId;
    }

    private async Task<long> InsertAsync(string userId, string status, TimeSpan heartbeatAgo, TimeSpan startedAgo)
    {
        await using var connection = await OpenMaintenanceAsync();
        return await connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO recording_sessions (user_id, recording_type, status, started_at, last_heartbeat_at, ended_at)
            VALUES (@userId, 'camera', @status, now() - @startedAgo, now() - @heartbeatAgo, CASE WHEN @status = 'active' THEN NULL ELSE now() - @heartbeatAgo END)
            RETURNING id
            """,
            new { userId, status, startedAgo, heartbeatAgo });
    }

    private async Task<List<long>> StatusAsync(string userId, string status)
    {
        await using var connection = await OpenMaintenanceAsync();
        return (await connection.QueryAsync<long>("SELECT id FROM recording_sessions WHERE user_id = @userId AND status = @status ORDER BY id", new { userId, status })).AsList();
    }

    // Users and the main app's rows as the owner; recorder rows across users as recorder_maintenance (DatabaseConnections).
    private Task<NpgsqlConnection> OpenOwnerAsync() => database.OpenOwnerAsync();

    private Task<NpgsqlConnection> OpenMaintenanceAsync() => database.OpenMaintenanceAsync();
}
