using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Partitions;
using Recorder.Core.Tests.Fixtures;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Partitions;

/// <summary>
/// Weekly partitions across month and year ends, and session retention: expired weeks dropped whole,
/// newer weeks untouched, the default partition's expired rows deleted by key (never by ctid), users
/// under a legal hold kept. Each test has a database of its own (partitions are per database).
/// </summary>
public sealed class SessionRetentionTests : IAsyncLifetime
{
    private readonly MigratedDatabase database = new();

    public Task InitializeAsync() => database.InitializeAsync();

    public Task DisposeAsync() => database.DisposeAsync();

    [Fact]
    public async Task Weeks_across_a_year_end_start_on_mondays_carry_the_iso_year_and_leave_no_gap()
    {
        await using var owner = await database.OpenOwnerAsync();
        await using var connection = await database.OpenMaintenanceAsync();

        Assert.Equal(4, await owner.ExecuteScalarAsync<int>("SELECT recorder_ensure_weekly_partitions('recording_sessions', 3, '2025-12-24 15:00+00')"));

        Assert.Equal(
            [
                ("recording_sessions_p2025w52", Utc(2025, 12, 22), Utc(2025, 12, 29)),
                ("recording_sessions_p2026w01", Utc(2025, 12, 29), Utc(2026, 1, 5)),
                ("recording_sessions_p2026w02", Utc(2026, 1, 5), Utc(2026, 1, 12)),
                ("recording_sessions_p2026w03", Utc(2026, 1, 12), Utc(2026, 1, 19)),
            ],
            await PartitionsAsync(connection, Utc(2025, 12, 1), Utc(2026, 2, 1)));
        var userId = await NewUserAsync(owner);
        Assert.Equal("recording_sessions_p2025w52", await PartitionOfAsync(connection, await InsertSessionAsync(connection, userId, new DateTime(2025, 12, 28, 23, 59, 59, DateTimeKind.Utc))));
        Assert.Equal("recording_sessions_p2026w01", await PartitionOfAsync(connection, await InsertSessionAsync(connection, userId, new DateTime(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc))));
    }

    [Fact]
    public async Task Weeks_across_a_month_end_and_into_a_53_week_year_follow_on_each_other()
    {
        await using var owner = await database.OpenOwnerAsync();
        await using var connection = await database.OpenMaintenanceAsync();
        var userId = await NewUserAsync(owner);
        // A row that arrived before its week existed waits in the default partition and moves in.
        var early = await InsertSessionAsync(connection, userId, new DateTime(2026, 3, 31, 8, 0, 0, DateTimeKind.Utc));
        Assert.Equal("recording_sessions_default", await PartitionOfAsync(connection, early));

        Assert.Equal(2, await owner.ExecuteScalarAsync<int>("SELECT recorder_ensure_weekly_partitions('recording_sessions', 1, '2026-03-29 23:00+00')"));
        Assert.Equal(2, await owner.ExecuteScalarAsync<int>("SELECT recorder_ensure_weekly_partitions('recording_sessions', 1, '2020-12-27 00:00+00')"));

        Assert.Equal(
            [
                ("recording_sessions_p2026w13", Utc(2026, 3, 23), Utc(2026, 3, 30)),
                ("recording_sessions_p2026w14", Utc(2026, 3, 30), Utc(2026, 4, 6)),
            ],
            await PartitionsAsync(connection, Utc(2026, 3, 1), Utc(2026, 5, 1)));
        Assert.Equal(
            [
                ("recording_sessions_p2020w52", Utc(2020, 12, 21), Utc(2020, 12, 28)),
                ("recording_sessions_p2020w53", Utc(2020, 12, 28), Utc(2021, 1, 4)),
            ],
            await PartitionsAsync(connection, Utc(2020, 12, 1), Utc(2021, 2, 1)));
        Assert.Equal("recording_sessions_p2026w14", await PartitionOfAsync(connection, early));
    }

    [Fact]
    public async Task Dropping_expired_weeks_leaves_newer_weeks_and_their_rows_and_keeps_held_users_sessions()
    {
        await using var owner = await database.OpenOwnerAsync();
        await using var connection = await database.OpenMaintenanceAsync();
        var userId = await NewUserAsync(owner);
        var heldUser = await NewUserAsync(owner);
        await connection.ExecuteAsync("INSERT INTO user_legal_holds (user_id, reason) VALUES (@heldUser, 'test')", new { heldUser });
        // Ten past weeks, each with a session started in its middle.
        await owner.ExecuteAsync("SELECT recorder_ensure_weekly_partitions('recording_sessions', 10, now() - interval '10 weeks')");
        var sessions = new Dictionary<int, long>();
        for (var weeksAgo = 1; weeksAgo <= 10; weeksAgo++)
        {
            sessions[weeksAgo] = await InsertSessionAsync(connection, userId, DateTime.UtcNow.AddDays(-7 * weeksAgo));
        }
        var heldSession = await InsertSessionAsync(connection, heldUser, DateTime.UtcNow.AddDays(-60));
        var partitionsBefore = await PartitionsAsync(connection, DateTime.UtcNow.AddYears(-1), DateTime.UtcNow.AddYears(1));
        var cutoff = DateTime.UtcNow.AddDays(-30);

        var (dropped, _) = await ServiceAsync(30).ExpireSessionsAsync(default);

        var expiredWeeks = partitionsBefore.Where(p => p.End <= cutoff).Select(p => p.Name).ToList();
        Assert.True(expiredWeeks.Count >= 4, $"only {expiredWeeks.Count} expired weeks were made");
        Assert.Equal(expiredWeeks, dropped.Select(p => p.PartitionName));
        Assert.Equal(partitionsBefore.Where(p => p.End > cutoff), await PartitionsAsync(connection, DateTime.UtcNow.AddYears(-1), DateTime.UtcNow.AddYears(1)));
        var droppedSessions = 0;
        foreach (var (weeksAgo, id) in sessions)
        {
            // A session older than the cutoff in a week that is not wholly past it waits for its week.
            var startedAt = DateTime.UtcNow.AddDays(-7 * weeksAgo);
            var weekExpired = partitionsBefore.Single(p => p.Start <= startedAt && startedAt < p.End).End <= cutoff;
            Assert.Equal(!weekExpired, await ExistsAsync(connection, id));
            droppedSessions += weekExpired ? 1 : 0;
        }
        Assert.Equal(droppedSessions, dropped.Sum(p => p.DroppedRows));
        Assert.Equal(1, dropped.Sum(p => p.KeptRows));
        Assert.Equal("recording_sessions_default", await PartitionOfAsync(connection, heldSession));
        var audited = (await connection.QueryAsync<(string ActorId, string? UserId, string Partition, long Sessions)>(
            """
            SELECT actor_id, user_id, details ->> 'partition', (details ->> 'sessions')::bigint FROM audit_log
            WHERE actor_type = 'system' AND action = 'recording_session.partition_drop' ORDER BY id
            """)).AsList();
        Assert.Equal(dropped.Select(p => ("partitions", (string?)null, p.PartitionName, p.DroppedRows)), audited);
    }

    [Fact]
    public async Task A_held_users_session_keeps_its_link_to_a_recording_when_its_week_is_dropped()
    {
        await using var owner = await database.OpenOwnerAsync();
        await using var connection = await database.OpenMaintenanceAsync();
        var heldUser = await NewUserAsync(owner);
        await connection.ExecuteAsync("INSERT INTO user_legal_holds (user_id, reason) VALUES (@heldUser, 'test')", new { heldUser });
        var recording = await connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name, status)
            VALUES (@heldUser, 'r', 'camera', 10, 'video/webm', @heldUser || '/1/a.webm', 'completed') RETURNING id
            """, new { heldUser });
        await owner.ExecuteAsync("SELECT recorder_ensure_weekly_partitions('recording_sessions', 10, now() - interval '10 weeks')");
        var startedAt = DateTime.UtcNow.AddDays(-60);
        var session = await connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO recording_sessions (user_id, recording_type, started_at, last_heartbeat_at, recording_id)
            VALUES (@heldUser, 'camera', @startedAt, @startedAt, @recording) RETURNING id
            """, new { heldUser, startedAt, recording });

        // The move re-checks the link as the owner (the drop is SECURITY DEFINER), which the owner must be able to see (026).
        var (dropped, _) = await ServiceAsync(30).ExpireSessionsAsync(default);

        Assert.Equal(1, dropped.Sum(p => p.KeptRows));
        Assert.Equal(("recording_sessions_default", (long?)recording), await connection.QuerySingleAsync<(string, long?)>(
            "SELECT tableoid::regclass::text, recording_id FROM recording_sessions WHERE id = @session", new { session }));
    }

    [Fact]
    public async Task Deleting_the_default_partitions_expired_rows_by_key_spares_rows_of_other_partitions_at_the_same_ctid()
    {
        await using var owner = await database.OpenOwnerAsync();
        await using var connection = await database.OpenMaintenanceAsync();
        var userId = await NewUserAsync(owner);
        var heldUser = await NewUserAsync(owner);
        await connection.ExecuteAsync("INSERT INTO user_legal_holds (user_id) VALUES (@heldUser)", new { heldUser });
        // No week exists this far back: these land in the default partition, the first at ctid (0,1).
        var expired = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            expired.Add(await InsertSessionAsync(connection, userId, DateTime.UtcNow.AddDays(-90 - i)));
        }
        var held = await InsertSessionAsync(connection, heldUser, DateTime.UtcNow.AddDays(-95));
        var future = await InsertSessionAsync(connection, userId, DateTime.UtcNow.AddYears(1)); // beyond the made weeks: default too
        // This week's partition: its first rows sit at the same ctids as the default partition's.
        var current = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            current.Add(await InsertSessionAsync(connection, userId, DateTime.UtcNow));
        }
        Assert.Equal(await CtidAsync(connection, expired[0]), await CtidAsync(connection, current[0]));
        Assert.NotEqual(await PartitionOfAsync(connection, expired[0]), await PartitionOfAsync(connection, current[0]));

        var (dropped, deleted) = await ServiceAsync(30, batchSize: 2).ExpireSessionsAsync(default);

        Assert.Empty(dropped);
        Assert.Equal(3, deleted);
        foreach (var id in expired)
        {
            Assert.False(await ExistsAsync(connection, id));
        }
        foreach (var id in current.Append(held).Append(future))
        {
            Assert.True(await ExistsAsync(connection, id));
        }
        Assert.Equal(3, await connection.ExecuteScalarAsync<int>(
            "SELECT sum((details ->> 'sessions')::int)::int FROM audit_log WHERE action = 'recording_session.expire' AND actor_id = 'partitions' AND user_id = @userId", new { userId }));
    }

    private PartitionMaintenanceService ServiceAsync(int retentionDays, int batchSize = 1000)
        => new(database.CreateDataSources(), Options.Create(new PartitionOptions { SessionRetentionDays = retentionDays, SessionBatchSize = batchSize }), NullLogger<PartitionMaintenanceService>.Instance);

    private static DateTime Utc(int year, int month, int day) => new(year, month, day, 0, 0, 0, DateTimeKind.Utc);

    // Users and the owner-only three-argument recorder_ensure_weekly_partitions as the owner; sessions, holds and
    // the audit across users as recorder_maintenance, as the timer reads them (the owner is bound by row-level security).
    private static async Task<string> NewUserAsync(NpgsqlConnection owner)
    {
        var userId = "sess-" + Guid.NewGuid().ToString("N")[..12];
        await owner.ExecuteAsync("INSERT INTO users (id, email, password, first_name, last_name) VALUES (@userId, @userId || '@example.test', 'x', 'S', 'T')", new { userId });
        return userId;
    }

    private static Task<long> InsertSessionAsync(NpgsqlConnection connection, string userId, DateTime startedAt)
        => connection.ExecuteScalarAsync<long>(
            "INSERT INTO recording_sessions (user_id, recording_type, started_at, last_heartbeat_at) VALUES (@userId, 'camera', @startedAt, @startedAt) RETURNING id",
            new { userId, startedAt });

    private static Task<bool> ExistsAsync(NpgsqlConnection connection, long id)
        => connection.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM recording_sessions WHERE id = @id)", new { id });

    private static Task<string?> PartitionOfAsync(NpgsqlConnection connection, long id)
        => connection.ExecuteScalarAsync<string>("SELECT tableoid::regclass::text FROM recording_sessions WHERE id = @id", new { id });

    private static Task<string?> CtidAsync(NpgsqlConnection connection, long id)
        => connection.ExecuteScalarAsync<string>("SELECT ctid::text FROM recording_sessions WHERE id = @id", new { id });

    /// <summary>The weekly partitions whose range starts in [from, to), with their bounds, in order.</summary>
    private static async Task<List<(string Name, DateTime Start, DateTime End)>> PartitionsAsync(NpgsqlConnection connection, DateTime from, DateTime to)
        => (await connection.QueryAsync<(string, DateTime, DateTime)>(
            """
            SELECT name, range_start, range_end FROM (
              SELECT c.relname::text AS name,
                     substring(pg_get_expr(c.relpartbound, c.oid) FROM 'FROM \(''([^'']+)''\)')::timestamptz AS range_start,
                     substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz AS range_end
              FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
              WHERE i.inhparent = 'recording_sessions'::regclass) p
            WHERE range_start >= @from AND range_start < @to
            ORDER BY range_start
            """, new { from, to })).AsList();
}
