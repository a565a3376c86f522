using Dapper;
using Npgsql;
using Recorder.Core.Storage;
using Recorder.Core.Tests.Lifecycle;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Sessions;

/// <summary>
/// The link from a session to its recording (migration 019): cleared once per DELETE statement for every
/// deleted recording, and only ever naming an existing recording of the session's own user.
/// </summary>
public sealed class SessionRecordingLinkTests : IAsyncLifetime
{
    private readonly MigratedDatabase database = new();
    private LifecycleData data = null!;

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        data = new LifecycleData(database, new StorageOptions());
    }

    public Task DisposeAsync() => database.DisposeAsync();

    [Fact]
    public async Task Deleting_recordings_in_one_statement_unlinks_exactly_their_sessions_in_every_partition()
    {
        var userId = await data.NewUserAsync();
        var (first, second, kept) = (await NewRecordingAsync(userId), await NewRecordingAsync(userId), await NewRecordingAsync(userId));
        // Two future weeks' partitions (made ahead, seven days apart) and the default partition (long past).
        var sessions = new[]
        {
            await NewSessionAsync(userId, first, TimeSpan.FromDays(-15)),
            await NewSessionAsync(userId, second, TimeSpan.FromDays(-8)),
            await NewSessionAsync(userId, second, TimeSpan.FromDays(3000)),
            await NewSessionAsync(userId, kept, TimeSpan.FromDays(1)),
        };

        await using (var maintenance = new NpgsqlConnection(database.MaintenanceConnectionString))
        {
            await maintenance.OpenAsync();
            Assert.Equal(2, await maintenance.ExecuteAsync("DELETE FROM recordings WHERE id = ANY(@ids)", new { ids = new[] { first, second } }));
        }

        Assert.Equal(3, await data.ScalarAsync<int>("SELECT count(DISTINCT tableoid) FROM recording_sessions WHERE id = ANY(@unlinked)", new { unlinked = sessions[..3] }));
        await using var reader = await data.OpenMaintenanceAsync();
        var links = (await reader.QueryAsync<(long Id, long? RecordingId)>(
            "SELECT id, recording_id FROM recording_sessions WHERE id = ANY(@sessions) ORDER BY id", new { sessions })).ToArray();
        Assert.Equal([(sessions[0], null), (sessions[1], null), (sessions[2], null), (sessions[3], kept)], links);
    }

    [Fact]
    public async Task The_app_role_deleting_its_own_recording_unlinks_its_session()
    {
        var userId = await data.NewUserAsync();
        var recording = await NewRecordingAsync(userId);
        var session = await NewSessionAsync(userId, recording, TimeSpan.FromHours(1));

        await using (var app = await OpenAppAsync())
        await using (var transaction = await app.BeginTransactionAsync())
        {
            await app.ExecuteAsync("SELECT set_config('app.user_id', @userId, true)", new { userId }, transaction);
            Assert.Equal(1, await app.ExecuteAsync("DELETE FROM recordings WHERE id = @recording", new { recording }, transaction));
            await transaction.CommitAsync();
        }

        Assert.Null(await data.ScalarAsync<long?>("SELECT recording_id FROM recording_sessions WHERE id = @session", new { session }));
    }

    [Fact]
    public async Task A_session_cannot_name_a_missing_recording_or_another_users()
    {
        var userId = await data.NewUserAsync();
        var otherUser = await data.NewUserAsync();
        var others = await NewRecordingAsync(otherUser);
        var own = await NewRecordingAsync(userId);

        var missing = await Assert.ThrowsAsync<PostgresException>(() => NewSessionAsync(userId, own + 1000, TimeSpan.FromHours(1)));
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, missing.SqlState);
        var session = await NewSessionAsync(userId, null, TimeSpan.FromHours(1));
        var foreign = await Assert.ThrowsAsync<PostgresException>(() => data.ExecuteAsync(
            "UPDATE recording_sessions SET recording_id = @others WHERE id = @session", new { others, session }));
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, foreign.SqlState);

        Assert.Equal(1, await data.ExecuteAsync("UPDATE recording_sessions SET recording_id = @own WHERE id = @session", new { own, session }));
        // Setting the same link again (as completing a session does) checks nothing new.
        Assert.Equal(1, await data.ExecuteAsync("UPDATE recording_sessions SET recording_id = coalesce(@own, recording_id) WHERE id = @session", new { own, session }));
    }

    [Fact]
    public async Task A_link_made_while_the_recording_is_being_deleted_fails_once_the_delete_commits()
    {
        var userId = await data.NewUserAsync();
        var recording = await NewRecordingAsync(userId);
        var session = await NewSessionAsync(userId, null, TimeSpan.FromHours(1));

        await using var deleter = await data.OpenMaintenanceAsync();
        await using var deletion = await deleter.BeginTransactionAsync();
        await deleter.ExecuteAsync("DELETE FROM recordings WHERE id = @recording", new { recording }, deletion);

        // The link checks the recording under KEY SHARE: it waits for the deleting transaction's row lock.
        await using var linker = await data.OpenMaintenanceAsync();
        var link = linker.ExecuteAsync("UPDATE recording_sessions SET recording_id = @recording WHERE id = @session", new { recording, session });
        await LockWaits.UntilWaitingForRowAsync(database.OwnerConnectionString, waiterPid: linker.ProcessID, holderPid: deleter.ProcessID, "recordings");
        Assert.False(link.IsCompleted);
        await deletion.CommitAsync();

        var failure = await Assert.ThrowsAsync<PostgresException>(() => link);
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, failure.SqlState);
    }

    [Fact]
    public async Task A_delete_made_while_a_session_links_the_recording_waits_and_then_unlinks_it()
    {
        var userId = await data.NewUserAsync();
        var recording = await NewRecordingAsync(userId);
        var session = await NewSessionAsync(userId, null, TimeSpan.FromHours(1));

        await using var linker = await data.OpenMaintenanceAsync();
        await using var linking = await linker.BeginTransactionAsync();
        await linker.ExecuteAsync("UPDATE recording_sessions SET recording_id = @recording WHERE id = @session", new { recording, session }, linking);

        // The link holds the recording under KEY SHARE: the delete waits for the linking transaction.
        await using var deleter = await data.OpenMaintenanceAsync();
        var delete = deleter.ExecuteAsync("DELETE FROM recordings WHERE id = @recording", new { recording });
        await LockWaits.UntilWaitingForRowAsync(database.OwnerConnectionString, waiterPid: deleter.ProcessID, holderPid: linker.ProcessID, "recordings");
        Assert.False(delete.IsCompleted);
        await linking.CommitAsync();

        Assert.Equal(1, await delete);
        Assert.Null(await data.ScalarAsync<long?>("SELECT recording_id FROM recording_sessions WHERE id = @session", new { session }));
    }

    private Task<long> NewRecordingAsync(string userId) => data.InsertAsync(userId, "completed", TimeSpan.FromHours(2));

    private Task<long> NewSessionAsync(string userId, long? recordingId, TimeSpan startedAgo) => data.ScalarAsync<long>(
        """
        INSERT INTO recording_sessions (user_id, recording_type, status, started_at, last_heartbeat_at, ended_at, recording_id)
        VALUES (@userId, 'camera', 'completed', now() - @startedAgo, now() - @startedAgo, now() - @startedAgo, @recordingId)
        RETURNING id
        """,
        new { userId, recordingId, startedAgo });

    private async Task<NpgsqlConnection> OpenAppAsync()
    {
        var connection = new NpgsqlConnection(database.AppConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
