using Dapper;
using Recorder.Core.Data;
using Recorder.Core.Recordings;
using Recorder.Core.Tests.Fixtures;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Data;

/// <summary>
/// <see cref="UserTransaction.QuerySingleAsUserAsync"/> sends the lock and the statement that reads under it together; the
/// statement must still read what committed while the lock was awaited (the quota check of an upload URL relies on it).
/// </summary>
public sealed class OneRoundTripTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    private const string UserId = "one-round-trip-user";

    [Fact]
    public async Task The_statement_after_the_lock_reads_what_committed_while_the_lock_was_awaited()
    {
        await database.AddUserAsync(UserId);
        await using var dataSources = database.CreateDataSources();
        await using var holder = await database.OpenMaintenanceAsync();
        await using var holding = await holder.BeginTransactionAsync();
        await holder.ExecuteAsync("SELECT " + StorageQuota.LockUserExpression, new { userId = UserId }, holding);
        await holder.ExecuteAsync("""
            INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name, status)
            VALUES (@UserId, 'Held', 'camera', 4321, 'video/webm', 'one-round-trip-user/1/a.webm', 'uploading')
            """, new { UserId }, holding);

        var reading = dataSources.App.QuerySingleAsUserAsync<long>(UserId, StorageQuota.LockUserExpression,
            "SELECT " + StorageQuota.UsedBytesSql, new { UserId }, CancellationToken.None);
        await Eventually.TrueAsync(async () => await holder.ExecuteScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted)", transaction: holding),
            "the unit of work waits for the quota lock");
        Assert.False(reading.IsCompleted);
        await holding.CommitAsync();

        Assert.Equal(4321, await reading);
    }
}
