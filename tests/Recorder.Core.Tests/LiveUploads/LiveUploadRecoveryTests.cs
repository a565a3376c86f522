using System.Security.Cryptography;
using Azure.Storage.Blobs.Models;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Recorder.Core.Api;
using Recorder.Core.Ingest;
using Recorder.Core.Lifecycle;
using Recorder.Core.LiveUploads;
using Recorder.Core.Security;
using Recorder.Core.Sessions;
using Recorder.Core.Tests.Ingest;
using Recorder.Core.Tests.Lifecycle;
using Recorder.Testing;
using Recorder.Testing.Media;
using Xunit;

namespace Recorder.Core.Tests.LiveUploads;

/// <summary>
/// A live recording whose browser went silent: the recovery run commits what storage holds, in block order and within the
/// limits, and ingest takes it to 'completed' marked recovered, with the duration of what was staged. Real WebM fixtures
/// cut into blocks, Azurite, the app's own services.
/// </summary>
public sealed class LiveUploadRecoveryTests : IngestTestBase
{
    private static readonly Dictionary<string, string?> ShortSilence = new()
    {
        ["LiveUpload:SilenceTimeout"] = "00:00:05",
        ["LiveUpload:BlockListReadInterval"] = "00:00:01",
    };

    private LiveUploadData Live => new(database, storage);

    [Theory]
    [InlineData("chrome-camera.webm", 157_900, 16_000, false)] // the whole recording
    [InlineData("chrome-camera.webm", 100_000, 16_000, true)]  // the last block ends inside the fourth cluster, inside a frame
    [InlineData("chrome-camera.webm", 93_814, 16_000, false)]  // the last block ends where the fourth cluster starts
    [InlineData("chrome-audio.webm", 20_000, 3_000, true)]
    public async Task A_silent_live_recording_is_committed_in_block_order_and_completes_recovered_with_the_staged_duration(
        string fixture, int stagedLength, int blockSize, bool cutInsideACluster)
    {
        var userId = await data.NewUserAsync();
        var (id, blobName) = await Live.InsertAsync(userId, silentFor: TimeSpan.FromMinutes(1));
        var staged = (await FixtureAsync(fixture))[..stagedLength];
        var blocks = LiveUploadData.Split(staged, blockSize);
        // Storage lists uncommitted blocks in the order they came; the browser may send them in any.
        await Live.StageAsync(blobName, Enumerable.Reverse(blocks));

        var swept = await SweepAsync();
        await IngestCommittedAsync(blobName);

        Assert.Equal(new LiveRecoveryResult(1, 0, 0), swept);
        var row = await Live.RowAsync(id);
        Assert.Equal(("completed", true, (long)stagedLength), (row.Status, row.Recovered, row.FileSize));
        var expected = await PacketEndAsync(staged);
        Assert.InRange((double)row.Duration!.Value, expected.TotalSeconds - 0.1, expected.TotalSeconds + 0.1);
        Assert.Equal(cutInsideACluster, row.Media.GetProperty("truncated").GetBoolean());
        Assert.Equal((blocks.Count, "end"),
            (row.Recovery.GetProperty("blocks").GetInt32(), row.Recovery.GetProperty("stoppedBy").GetString()));
        // The media the recording serves is the staged bytes, in block order.
        var served = (await Live.Blob(row.MediaBlobName!, storage.ProcessedContainer).DownloadContentAsync()).Value.Content.ToArray();
        Assert.Equal(SHA256.HashData(staged), SHA256.HashData(served));
        Assert.Equal([(LiveUploadRecovery.ActorId, "recording.recover"), (BlobEventAcceptor.ActorId, "recording.ingest")],
            await Live.AuditAsync(id));
    }

    /// <summary>
    /// Safari's layout (ffmpeg's fragmented MP4: an empty moov, then a moof+mdat a second), the last block cut inside the
    /// third fragment's mdat: complete up to the second fragment's end, truncated, served as staged, with no seekable copy.
    /// </summary>
    [Fact]
    public async Task A_silent_live_fragmented_mp4_cut_inside_a_fragment_completes_recovered_up_to_its_last_whole_fragment()
    {
        var userId = await data.NewUserAsync();
        var (id, blobName) = await Live.InsertAsync(userId, silentFor: TimeSpan.FromMinutes(1), mimeType: "video/mp4");
        var staged = (await FixtureAsync("fragmented.mp4"))[..30_000];
        await Live.StageAsync(blobName, LiveUploadData.Split(staged, 8_000));

        await SweepAsync();
        await IngestCommittedAsync(blobName);

        var row = await Live.RowAsync(id);
        Assert.Equal(("completed", true), (row.Status, row.Recovered));
        // The third fragment's moof starts at byte 25,073: what comes before it is whole.
        var expected = await PacketEndAsync(staged[..25_073], ".mp4");
        Assert.Equal(expected.TotalSeconds, (double)row.Duration!.Value, 0.002);
        Assert.Equal((true, "fragments"),
            (row.Media.GetProperty("truncated").GetBoolean(), row.Media.GetProperty("durationSource").GetString()));
        Assert.EndsWith("/media.mp4", row.MediaBlobName);
        Assert.Empty(await harness.ReceiveAsync());
        Assert.DoesNotContain("seekableCopy", row.Metadata);
    }

    [Fact]
    public async Task A_fragmented_mp4_its_browser_committed_cut_inside_a_fragment_fails_as_corrupt_media()
    {
        var userId = await data.NewUserAsync();
        var (id, blobName) = await Live.InsertAsync(userId, silentFor: TimeSpan.Zero, mimeType: "video/mp4");
        var blocks = LiveUploadData.Split((await FixtureAsync("fragmented.mp4"))[..30_000], 8_000);
        await Live.StageAsync(blobName, blocks);
        await Live.Blob(blobName).CommitBlockListAsync(blocks.Select(block => LiveBlockId.Format(block.Sequence)));

        await IngestCommittedAsync(blobName);

        var row = await Live.RowAsync(id);
        Assert.Equal(("failed", "corrupt_media", false), (row.Status, row.FailureCode, row.Recovered));
        Assert.Contains("MP4 ends inside a fragment", row.Metadata);
    }

    [Fact]
    public async Task Browser_calls_that_just_read_the_blocks_do_not_keep_the_recovery_from_reading_them()
    {
        var userId = await data.NewUserAsync();
        var (id, blobName) = await Live.InsertAsync(userId, silentFor: TimeSpan.FromMinutes(1));
        await Live.StageAsync(blobName, LiveUploadData.Split(await FixtureAsync("chrome-audio.webm"), 4_000));
        // Every kind of browser call read the block list a moment ago: their bound (BlockListReads) is not the recovery's.
        await Live.ExecuteAsync("UPDATE recordings SET block_list_reads = jsonb_build_object('heartbeat', now(), 'renewal', now(), " +
            "'upload', now()) WHERE id = @id", new { id });

        Assert.Equal(new LiveRecoveryResult(1, 0, 0), await SweepAsync());
        Assert.True(await Live.Blob(blobName).ExistsAsync());
    }

    [Fact]
    public async Task Blocks_after_a_gap_and_blocks_with_ids_of_another_form_are_never_committed()
    {
        var userId = await data.NewUserAsync();
        var (id, blobName) = await Live.InsertAsync(userId, silentFor: TimeSpan.FromMinutes(1));
        var blocks = LiveUploadData.Split(await FixtureAsync("chrome-camera.webm"), 16_000);
        await Live.StageAsync(blobName, blocks.Where(block => block.Sequence != 3));
        // Same length as the contract's ids (storage wants one length per blob), another form.
        await Live.Blob(blobName).StageBlockAsync(Convert.ToBase64String("chunk-000003"u8.ToArray()), new MemoryStream(blocks[3].Bytes));

        Assert.Equal(new LiveRecoveryResult(1, 0, 0), await SweepAsync());

        var committed = (await Live.Blob(blobName).GetBlockListAsync(BlockListTypes.Committed)).Value.CommittedBlocks;
        Assert.Equal([LiveBlockId.Format(0), LiveBlockId.Format(1), LiveBlockId.Format(2)], committed.Select(block => block.Name));
        var recovery = (await Live.RowAsync(id)).Recovery;
        Assert.Equal(("gap", 1, 3 * 16_000L), (recovery.GetProperty("stoppedBy").GetString(),
            recovery.GetProperty("ignoredBlocks").GetInt32(), recovery.GetProperty("bytes").GetInt64()));
    }

    [Fact]
    public async Task Only_what_fits_the_quota_is_committed_and_ingest_refuses_a_server_commit_that_no_longer_fits()
    {
        var userId = await data.NewUserAsync();
        await Live.ExecuteAsync("INSERT INTO user_storage_limits (user_id, limit_bytes) VALUES (@userId, @limit)",
            new { userId, limit = 3 * 16_000 + 10 });
        var (id, blobName) = await Live.InsertAsync(userId, silentFor: TimeSpan.FromMinutes(1));
        await Live.StageAsync(blobName, LiveUploadData.Split(await FixtureAsync("chrome-camera.webm"), 16_000));

        await SweepAsync();

        Assert.Equal(3 * 16_000L, (await Live.Blob(blobName).GetPropertiesAsync()).Value.ContentLength);
        var row = await Live.RowAsync(id);
        Assert.Equal((3 * 16_000L, "quota"), (row.FileSize, row.Recovery.GetProperty("stoppedBy").GetString()));

        // The owner's storage shrinks before ingest reaches the committed blob: it is refused and removed like any upload.
        await Live.ExecuteAsync("UPDATE user_storage_limits SET limit_bytes = 16000 WHERE user_id = @userId", new { userId });
        await IngestCommittedAsync(blobName);

        Assert.Equal(("failed", "quota_exceeded"), ((await Live.RowAsync(id)).Status, (await Live.RowAsync(id)).FailureCode));
        Assert.False(await Live.Blob(blobName).ExistsAsync());
    }

    [Fact]
    public async Task Within_its_silence_window_a_live_recording_keeps_its_staged_blocks_through_both_sweeps()
    {
        var userId = await data.NewUserAsync();
        var (id, blobName) = await Live.InsertAsync(userId, silentFor: TimeSpan.FromSeconds(1), age: TimeSpan.FromDays(2));
        await Live.StageAsync(blobName, LiveUploadData.Split(await FixtureAsync("chrome-audio.webm"), 4_000));
        // The same age without being live: the abandoned-upload sweep does fail it, so it did run.
        var (other, _) = await Live.InsertAsync(userId, silentFor: TimeSpan.FromSeconds(1), age: TimeSpan.FromDays(2));
        await Live.ExecuteAsync("UPDATE recordings SET live = false WHERE id = @other", new { other });

        var swept = await SweepAsync(new Dictionary<string, string?> { ["LiveUpload:SilenceTimeout"] = "00:01:00" });
        var lifecycle = await harness.RunAsync(new LifecycleOptions { AbandonedUploadAfter = TimeSpan.FromHours(1) });

        Assert.Equal(new LiveRecoveryResult(0, 0, 0), swept);
        Assert.Equal(1, lifecycle.AbandonedUploads);
        Assert.Equal("failed", (await Live.RowAsync(other)).Status);
        Assert.Equal(("uploading", false), ((await Live.RowAsync(id)).Status, (await Live.RowAsync(id)).Recovered));
        var blocks = (await Live.Blob(blobName).GetBlockListAsync(BlockListTypes.All)).Value;
        Assert.Equal((10, 0), (blocks.UncommittedBlocks.Count(), blocks.CommittedBlocks.Count()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_live_recording_of_an_interrupted_session_is_recovered_not_failed(bool byTheStaleSessionSweep)
    {
        var userId = await data.NewUserAsync();
        var (id, blobName) = await Live.InsertAsync(userId, silentFor: TimeSpan.FromMinutes(10));
        var content = await FixtureAsync("chrome-audio.webm");
        await Live.StageAsync(blobName, LiveUploadData.Split(content, 4_000));
        var sessionId = await SessionAsync(userId, id);
        await using (var services = harness.Build())
        {
            if (byTheStaleSessionSweep)
            {
                Assert.Equal(1, await services.GetRequiredService<StaleSessionSweeper>().SweepAsync(default));
            }
            else
            {
                var caller = new Caller(userId, RecordingScopes.All, Caller.SessionMethod);
                var tabClosed = new InterruptSessionRequest { ErrorMessage = "The tab was closed.", ErrorCode = "tab_closed" };
                var interrupted = await services.GetRequiredService<RecordingSessionsService>().InterruptAsync(caller, sessionId,
                    tabClosed, RequestInfo.None, default);
                Assert.Null(interrupted.Failure);
            }
        }

        await SweepAsync();
        await IngestCommittedAsync(blobName);

        var row = await Live.RowAsync(id);
        Assert.Equal(("completed", true), (row.Status, row.Recovered));
        var session = row.Recovery.GetProperty("session");
        Assert.Equal((sessionId, "interrupted", byTheStaleSessionSweep ? "heartbeat_timeout" : "tab_closed"),
            (session.GetProperty("id").GetInt64(), session.GetProperty("status").GetString(),
                session.GetProperty("errorCode").GetString()));
    }

    [Fact]
    public async Task A_silent_live_recording_with_nothing_staged_fails_as_an_abandoned_upload()
    {
        var userId = await data.NewUserAsync();
        var (id, _) = await Live.InsertAsync(userId, silentFor: TimeSpan.FromMinutes(1));

        Assert.Equal(new LiveRecoveryResult(0, 1, 0), await SweepAsync());

        var row = await Live.RowAsync(id);
        Assert.Equal(("failed", "upload_abandoned", false), (row.Status, row.FailureCode, row.Recovered));
        Assert.Equal([(LiveUploadRecovery.ActorId, "recording.abandon")], await Live.AuditAsync(id));
    }

    [Fact]
    public async Task A_live_recording_its_browser_committed_is_left_to_its_own_event()
    {
        var userId = await data.NewUserAsync();
        var (id, blobName) = await Live.InsertAsync(userId, silentFor: TimeSpan.FromMinutes(1));
        var blocks = LiveUploadData.Split(await FixtureAsync("chrome-audio.webm"), 4_000);
        await Live.StageAsync(blobName, blocks);
        var committed = (await Live.Blob(blobName).CommitBlockListAsync(blocks.Select(block => LiveBlockId.Format(block.Sequence))))
            .Value.ETag;

        Assert.Equal(new LiveRecoveryResult(0, 0, 1), await SweepAsync());

        Assert.Equal(("uploading", false), ((await Live.RowAsync(id)).Status, (await Live.RowAsync(id)).Recovered));
        Assert.Equal(committed, (await Live.Blob(blobName).GetPropertiesAsync()).Value.ETag);
    }

    [Fact]
    public async Task Two_live_recordings_of_one_user_are_recovered_apart()
    {
        var userId = await data.NewUserAsync();
        var audio = await FixtureAsync("chrome-audio.webm");
        var camera = await FixtureAsync("chrome-camera.webm");
        var first = await Live.InsertAsync(userId, silentFor: TimeSpan.FromMinutes(1), mimeType: "audio/webm;codecs=opus");
        var second = await Live.InsertAsync(userId, silentFor: TimeSpan.FromMinutes(1));
        // Interleaved, with the same block ids on both blobs, as two tabs would stage them.
        var firstBlocks = LiveUploadData.Split(audio, 4_000);
        var secondBlocks = LiveUploadData.Split(camera, 16_000);
        for (var i = 0; i < Math.Max(firstBlocks.Count, secondBlocks.Count); i++)
        {
            await Live.StageAsync(first.BlobName, firstBlocks.Skip(i).Take(1));
            await Live.StageAsync(second.BlobName, secondBlocks.Skip(i).Take(1));
        }

        Assert.Equal(new LiveRecoveryResult(2, 0, 0), await SweepAsync());
        await IngestCommittedAsync(first.BlobName);
        await IngestCommittedAsync(second.BlobName);

        foreach (var (id, content, fixture) in new[] { (first.Id, audio, "chrome-audio.webm"), (second.Id, camera, "chrome-camera.webm") })
        {
            var row = await Live.RowAsync(id);
            Assert.Equal(("completed", true, (long)content.Length), (row.Status, row.Recovered, row.FileSize));
            var expected = await MediaTools.PacketEndAsync(TestEnvironment.MediaFixture(fixture));
            Assert.InRange((double)row.Duration!.Value, expected.TotalSeconds - 0.1, expected.TotalSeconds + 0.1);
            var served = (await Live.Blob(row.MediaBlobName!, storage.ProcessedContainer).DownloadContentAsync()).Value.Content.ToArray();
            Assert.Equal(SHA256.HashData(content), SHA256.HashData(served));
        }
    }

    private async Task<LiveRecoveryResult> SweepAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        await using var services = harness.Build(settings: settings ?? ShortSilence);
        return await services.GetRequiredService<LiveUploadRecovery>().SweepAsync(default);
    }

    /// <summary>
    /// The BlobCreated event storage sends for the committed blob (a Put Block List), accepted, and its message processed.
    /// </summary>
    private async Task IngestCommittedAsync(string blobName)
    {
        var properties = (await Live.Blob(blobName).GetPropertiesAsync()).Value;
        await using (var services = harness.Build())
        {
            var blobCreated = new BlobCreatedEvent("event-" + blobName, LifecycleHarness.Topic, storage.UploadsContainer, blobName,
                "PutBlockList", $"\"{properties.ETag.ToString().Trim('"')}\"", "0000000000000001", properties.ContentLength,
                properties.ContentType);
            Assert.Equal(AcceptOutcome.Queued, await services.GetRequiredService<BlobEventAcceptor>().AcceptAsync(blobCreated, default));
        }
        var messages = await harness.ReceiveAsync();
        await ProcessAsync(Assert.Single(messages, message => message.Kind == IngestMessage.IngestKind));
    }

    /// <summary>An active session of the user linked to the recording, whose last heartbeat was an hour ago.</summary>
    private async Task<long> SessionAsync(string userId, long recordingId)
    {
        await using var connection = new NpgsqlConnection(database.MaintenanceConnectionString);
        return await connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO recording_sessions (user_id, recording_type, started_at, last_heartbeat_at, recording_id)
            VALUES (@userId, 'audio', now() - interval '2 hours', now() - interval '1 hour', @recordingId)
            RETURNING id
            """, new { userId, recordingId });
    }

    private static Task<byte[]> FixtureAsync(string name) => File.ReadAllBytesAsync(TestEnvironment.MediaFixture(name));

    private static async Task<TimeSpan> PacketEndAsync(byte[] media, string extension = ".webm")
    {
        var path = Path.Combine(Path.GetTempPath(), $"live-{Guid.NewGuid():N}{extension}");
        await File.WriteAllBytesAsync(path, media);
        try
        {
            return await MediaTools.PacketEndAsync(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
