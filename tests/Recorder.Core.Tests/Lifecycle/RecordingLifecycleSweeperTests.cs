using System.Text;
using Azure.Storage.Blobs;
using Dapper;
using Npgsql;
using Recorder.Core.Lifecycle;
using Recorder.Core.Links;
using Recorder.Core.Storage;
using Recorder.Core.Tests.Fixtures;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Lifecycle;

/// <summary>
/// The lifecycle sweep against the migrated schema as recorder_maintenance and Azurite containers of
/// its own. The sweep works across users, so each test has a database of its own.
/// </summary>
public sealed class RecordingLifecycleSweeperTests : IAsyncLifetime
{
    private readonly MigratedDatabase database = new();
    private StorageOptions storage = new();

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        storage = await TestStorage.CreateContainersAsync();
    }

    public Task DisposeAsync() => database.DisposeAsync();

    [Fact]
    public async Task Finishes_a_deletion_blobs_then_row_and_audits_it()
    {
        var userId = await NewUserAsync();
        var id = await InsertAsync(userId, "deleting", TimeSpan.FromMinutes(5), withDerivedBlobs: true);
        await UploadBlobsAsync(id, userId, withDerivedBlobs: true);

        var result = await RunAsync();

        Assert.Equal((false, 1, 0), (result.Skipped, result.Purged, result.PurgeFailures));
        Assert.False(await ExistsAsync(id));
        Assert.False(await BlobExistsAsync(storage.UploadsContainer, UploadName(userId, id)));
        Assert.False(await BlobExistsAsync(storage.ProcessedContainer, MediaName(userId, id)));
        Assert.False(await BlobExistsAsync(storage.ThumbnailsContainer, ThumbnailName(userId, id)));
        Assert.Equal([("lifecycle", "recording.purge")], await AuditAsync(id));
    }

    [Fact]
    public async Task Leaves_the_row_deleting_when_storage_is_unreachable_and_a_later_run_finishes_it()
    {
        var userId = await NewUserAsync();
        var id = await InsertAsync(userId, "deleting", TimeSpan.FromMinutes(5));
        await UploadBlobsAsync(id, userId);

        var stopped = new BlobServiceClient(TestStorage.StoppedConnectionString(), new BlobClientOptions { Retry = { MaxRetries = 0, NetworkTimeout = TimeSpan.FromSeconds(5) } });
        var failed = await RunAsync(blobs: stopped);

        Assert.Equal((0, 1), (failed.Purged, failed.PurgeFailures));
        Assert.Equal("deleting", await StatusAsync(id));
        Assert.Empty(await AuditAsync(id));

        var finished = await RunAsync();

        Assert.Equal((1, 0), (finished.Purged, finished.PurgeFailures));
        Assert.False(await ExistsAsync(id));
        Assert.False(await BlobExistsAsync(storage.UploadsContainer, UploadName(userId, id)));
    }

    [Fact]
    public async Task Finishes_deletions_whose_blobs_are_already_gone_in_bounded_batches()
    {
        var userId = await NewUserAsync();
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await InsertAsync(userId, "deleting", TimeSpan.FromMinutes(5)));
        }

        Assert.Equal(2, (await RunAsync(new LifecycleOptions { BatchSize = 2, MaxBatches = 1 })).Purged);
        Assert.Equal(ids[2..], await IdsAsync(userId));
        Assert.Equal(3, (await RunAsync(new LifecycleOptions { BatchSize = 2, MaxBatches = 5 })).Purged);
        Assert.Empty(await IdsAsync(userId));
    }

    [Fact]
    public async Task Retention_deletes_only_completed_recordings_older_than_the_setting_and_releases_their_references()
    {
        var userId = await NewUserAsync();
        var old = await InsertAsync(userId, "completed", TimeSpan.FromDays(40));
        var recent = await InsertAsync(userId, "completed", TimeSpan.FromDays(20));
        var oldUploading = await InsertAsync(userId, "uploading", TimeSpan.FromDays(40), failure: false);
        var oldFailed = await InsertAsync(userId, "failed", TimeSpan.FromDays(40));
        await UploadBlobsAsync(old, userId);
        var content = await InsertContentAsync(userId, old);

        var result = await RunAsync(new LifecycleOptions { RetentionDays = 30, AbandonedUploadAfter = TimeSpan.FromDays(365) });

        Assert.Equal((1, 1), (result.MarkedForRetention, result.Purged));
        Assert.False(await ExistsAsync(old));
        Assert.False(await BlobExistsAsync(storage.UploadsContainer, UploadName(userId, old)));
        Assert.Equal("completed", await StatusAsync(recent));
        Assert.Equal("uploading", await StatusAsync(oldUploading));
        Assert.Equal("failed", await StatusAsync(oldFailed));
        Assert.Equal([("lifecycle", "recording.retention"), ("lifecycle", "recording.purge")], await AuditAsync(old));

        await using var connection = await OpenMaintenanceAsync();
        var released = await connection.QuerySingleAsync<(string? VideoUrl, bool Marked)>(
            "SELECT video_url, metadata ? 'recordingDeletedAt' FROM content WHERE id = @content", new { content });
        Assert.Equal((null, true), released);
    }

    [Fact]
    public async Task The_retention_mark_takes_only_recordings_still_completed()
    {
        // The sweeper locks its candidates as completed first; the mark states the status itself all the same, so a recording
        // a delete or erasure marked, or one that failed, is never taken by it, whoever passes the ids.
        var userId = await NewUserAsync();
        var completed = await InsertAsync(userId, "completed", TimeSpan.FromDays(40));
        var deleting = await InsertAsync(userId, "deleting", TimeSpan.FromDays(40));
        var failed = await InsertAsync(userId, "failed", TimeSpan.FromDays(40));

        await using var connection = await OpenMaintenanceAsync();
        var marked = await connection.QueryAsync<long>(RecordingLifecycleSweeper.MarkExpiredSql, new { Ids = new[] { completed, deleting, failed } });

        Assert.Equal([completed], marked);
        Assert.Equal(("deleting", "deleting", "failed"), (await StatusAsync(completed), await StatusAsync(deleting), await StatusAsync(failed)));
    }

    [Fact]
    public async Task Fails_abandoned_uploads_and_removes_their_blob_but_leaves_recent_ones()
    {
        var userId = await NewUserAsync();
        var abandoned = await InsertAsync(userId, "uploading", TimeSpan.FromHours(30));
        var recent = await InsertAsync(userId, "uploading", TimeSpan.FromHours(2));
        await UploadBlobsAsync(abandoned, userId);
        await UploadBlobsAsync(recent, userId);

        Assert.Equal(1, (await RunAsync()).AbandonedUploads);

        await using var connection = await OpenMaintenanceAsync();
        var failed = await connection.QuerySingleAsync<(string Status, string FailureCode, string FailureReason)>(
            "SELECT status, failure_code, failure_reason FROM recordings WHERE id = @abandoned", new { abandoned });
        Assert.Equal(("failed", "upload_abandoned"), (failed.Status, failed.FailureCode));
        Assert.Contains("24 hours", failed.FailureReason);
        Assert.False(await BlobExistsAsync(storage.UploadsContainer, UploadName(userId, abandoned)));
        Assert.Equal([("lifecycle", "recording.abandon")], await AuditAsync(abandoned));
        Assert.Equal("uploading", await StatusAsync(recent));
        Assert.True(await BlobExistsAsync(storage.UploadsContainer, UploadName(userId, recent)));
    }

    [Fact]
    public async Task Skips_the_run_while_another_instance_holds_the_lock()
    {
        var userId = await NewUserAsync();
        var id = await InsertAsync(userId, "deleting", TimeSpan.FromMinutes(5));

        await using (var holder = new NpgsqlConnection(database.MaintenanceConnectionString))
        {
            await holder.OpenAsync();
            Assert.True(await holder.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_lock(@LockKey)", new { RecordingLifecycleSweeper.LockKey }));

            Assert.True((await RunAsync()).Skipped);
            Assert.Equal("deleting", await StatusAsync(id));
            // A pooled connection keeps its session locks until reused: release like the sweeper does.
            await holder.ExecuteAsync("SELECT pg_advisory_unlock(@LockKey)", new { RecordingLifecycleSweeper.LockKey });
        }

        Assert.Equal(1, (await RunAsync()).Purged);
    }

    private Task<LifecycleSweepResult> RunAsync(LifecycleOptions? options = null, BlobServiceClient? blobs = null)
        => new LifecycleHarness(database, storage, "ingest-" + Guid.NewGuid().ToString("N")[..12]).RunAsync(options, blobs);

    private static string UploadName(string userId, long id) => $"{userId}/{id}/recording.webm";

    private static string MediaName(string userId, long id) => $"{userId}/{id}/seekable.webm";

    private static string ThumbnailName(string userId, long id) => $"{userId}/{id}/thumbnail.jpg";

    private async Task<string> NewUserAsync()
    {
        var userId = "life-" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = await OpenOwnerAsync();
        await connection.ExecuteAsync("INSERT INTO users (id, email, password, first_name, last_name) VALUES (@userId, @userId || '@example.test', 'x', 'Life', 'Test')", new { userId });
        return userId;
    }

    private async Task<long> InsertAsync(string userId, string status, TimeSpan age, bool withDerivedBlobs = false, bool failure = true)
    {
        await using var connection = await OpenMaintenanceAsync();
        var id = await connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name, status, failure_code, created_at)
            VALUES (@userId, 'r', 'camera', 10, 'video/webm', gen_random_uuid()::text, @status,
                    CASE WHEN @status = 'failed' AND @failure THEN 'corrupt_media' END, now() - @age)
            RETURNING id
            """,
            new { userId, status, age, failure });
        await connection.ExecuteAsync(
            "UPDATE recordings SET blob_name = @upload, media_blob_name = @media, thumbnail_blob_name = @thumbnail WHERE id = @id",
            new { id, upload = UploadName(userId, id), media = withDerivedBlobs ? MediaName(userId, id) : null, thumbnail = withDerivedBlobs ? ThumbnailName(userId, id) : null });
        return id;
    }

    private async Task UploadBlobsAsync(long id, string userId, bool withDerivedBlobs = false)
    {
        var client = TestStorage.CreateClient();
        var names = new List<(string Container, string Name)> { (storage.UploadsContainer, UploadName(userId, id)) };
        if (withDerivedBlobs)
        {
            names.Add((storage.ProcessedContainer, MediaName(userId, id)));
            names.Add((storage.ThumbnailsContainer, ThumbnailName(userId, id)));
        }
        foreach (var (container, name) in names)
        {
            await client.GetBlobContainerClient(container).GetBlobClient(name).UploadAsync(BinaryData.FromBytes(Encoding.ASCII.GetBytes("media")));
        }
    }

    [Fact]
    public async Task A_batch_releases_and_audits_each_recordings_own_references()
    {
        var (alice, bob) = (await NewUserAsync(), await NewUserAsync());
        var recordings = new[]
        {
            (User: alice, Id: await InsertAsync(alice, "completed", TimeSpan.FromDays(40))),
            (User: alice, Id: await InsertAsync(alice, "completed", TimeSpan.FromDays(41))),
            (User: bob, Id: await InsertAsync(bob, "completed", TimeSpan.FromDays(42))),
        };
        var contentOf = new Dictionary<long, long[]>
        {
            [recordings[0].Id] = [await InsertContentAsync(alice, recordings[0].Id), await InsertContentAsync(alice, recordings[0].Id)],
            [recordings[1].Id] = [],
            [recordings[2].Id] = [await InsertContentAsync(bob, recordings[2].Id)],
        };
        // Bob's row naming Alice's recording is not Alice's reference: it stays as it is.
        var foreign = await InsertContentAsync(bob, recordings[1].Id);

        var result = await RunAsync(new LifecycleOptions { RetentionDays = 30, BatchSize = 10 });

        Assert.Equal(3, result.MarkedForRetention);
        await using var connection = await OpenMaintenanceAsync();
        foreach (var (user, id) in recordings)
        {
            var details = await connection.ExecuteScalarAsync<string>(
                "SELECT details::text FROM audit_log WHERE recording_id = @id AND action = 'recording.retention' AND user_id = @user", new { id, user });
            using var json = System.Text.Json.JsonDocument.Parse(details!);
            Assert.Equal(contentOf[id], json.RootElement.GetProperty("contentIds").EnumerateArray().Select(e => e.GetInt64()).Order());
            Assert.Equal("default", json.RootElement.GetProperty("rule").GetString());
        }
        Assert.Equal((RecordingReferences.Media(recordings[1].Id), false), await connection.QuerySingleAsync<(string?, bool)>(
            "SELECT video_url, metadata ? 'recordingDeletedAt' FROM content WHERE id = @foreign", new { foreign }));
    }

    private async Task<long> InsertContentAsync(string userId, long recordingId)
    {
        await using var connection = await OpenOwnerAsync();
        return await connection.ExecuteScalarAsync<long>(
            "INSERT INTO content (user_id, title, platform, content_type, video_url, metadata) VALUES (@userId, 'x', 'youtube', 'video', @url, jsonb_build_object('recordingId', @recordingId)) RETURNING id",
            new { userId, url = RecordingReferences.Media(recordingId), recordingId });
    }

    private static async Task<bool> BlobExistsAsync(string container, string name)
        => (await TestStorage.CreateClient().GetBlobContainerClient(container).GetBlobClient(name).ExistsAsync()).Value;

    private async Task<bool> ExistsAsync(long id)
    {
        await using var connection = await OpenMaintenanceAsync();
        return await connection.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM recordings WHERE id = @id)", new { id });
    }

    private async Task<string?> StatusAsync(long id)
    {
        await using var connection = await OpenMaintenanceAsync();
        return await connection.ExecuteScalarAsync<string?>("SELECT status FROM recordings WHERE id = @id", new { id });
    }

    private async Task<List<long>> IdsAsync(string userId)
    {
        await using var connection = await OpenMaintenanceAsync();
        return (await connection.QueryAsync<long>("SELECT id FROM recordings WHERE user_id = @userId ORDER BY id", new { userId })).AsList();
    }

    private async Task<List<(string ActorId, string Action)>> AuditAsync(long id)
    {
        await using var connection = await OpenMaintenanceAsync();
        return (await connection.QueryAsync<(string, string)>(
            "SELECT actor_id, action FROM audit_log WHERE recording_id = @id AND actor_type = 'system' ORDER BY id", new { id })).AsList();
    }

    // Users and the main app's rows as the owner; recorder rows across users as recorder_maintenance (DatabaseConnections).
    private Task<NpgsqlConnection> OpenOwnerAsync() => database.OpenOwnerAsync();

    private Task<NpgsqlConnection> OpenMaintenanceAsync() => database.OpenMaintenanceAsync();
}
