using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Ingest;
using Recorder.Core.Tests.Lifecycle;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Ingest;

/// <summary>
/// Follow-up work that a committed change makes due cannot be lost between the commit and the queue send:
/// the message waits in the outbox, and the sweep sends what its committer could not.
/// </summary>
public sealed class IngestOutboxTests : LifecycleTestBase
{
    [Fact]
    public async Task A_seekable_copy_whose_send_failed_after_the_commit_is_still_made()
    {
        var userId = await data.NewUserAsync();
        var id = await data.InsertAsync(userId, "uploading", TimeSpan.FromMinutes(1));
        var blobName = LifecycleData.UploadName(userId, id);
        var blob = TestStorage.CreateClient().GetBlobContainerClient(storage.UploadsContainer).GetBlobClient(blobName);
        var uploaded = (await blob.UploadAsync(TestEnvironment.MediaFixture("chrome-camera.webm"))).Value;
        var blobCreated = new BlobCreatedEvent("event-1", LifecycleHarness.Topic, storage.UploadsContainer, blobName, "PutBlob",
            $"\"{uploaded.ETag.ToString().Trim('"')}\"", "0000000000000001", new FileInfo(TestEnvironment.MediaFixture("chrome-camera.webm")).Length, "video/webm");
        var resendAtOnce = new Dictionary<string, string?> { ["Ingest:OutboxResendAfter"] = "00:00:00" };
        await using (var services = harness.Build(settings: resendAtOnce))
        {
            Assert.Equal(AcceptOutcome.Queued, await services.GetRequiredService<BlobEventAcceptor>().AcceptAsync(blobCreated, default));
        }
        var ingestMessage = Assert.Single(await harness.ReceiveAsync());

        // The worker completes the recording, then cannot reach the queue for the seekable copy's message.
        var queueDown = new Dictionary<string, string?>
        {
            ["RecordingsStorage"] = Regex.Replace(TestEnvironment.StorageConnectionString, @"QueueEndpoint=http://[^/;]+/", $"QueueEndpoint=http://127.0.0.1:{ClosedPort.Next()}/"),
        };
        await using (var services = harness.Build(settings: queueDown))
        {
            await services.GetRequiredService<IngestWorker>().ProcessAsync(ingestMessage, default);
        }
        Assert.Equal("completed", await data.StatusAsync(id));
        Assert.Empty(await harness.ReceiveAsync());
        Assert.Equal(1, await data.ScalarAsync<int>("SELECT count(*)::int FROM ingest_outbox"));

        await using (var services = harness.Build(settings: resendAtOnce))
        {
            Assert.Equal(1, await services.GetRequiredService<IngestOutbox>().SweepAsync(default));
            var seekableCopy = Assert.Single(await harness.ReceiveAsync());
            Assert.Equal((IngestMessage.SeekableCopyKind, (long?)id), (seekableCopy.Kind, seekableCopy.RecordingId));
            await services.GetRequiredService<IngestWorker>().ProcessAsync(seekableCopy, default);
        }
        var media = await data.ScalarAsync<string>("SELECT media_blob_name FROM recordings WHERE id = @id", new { id });
        Assert.EndsWith("/seekable.webm", media);
        Assert.True(await data.BlobExistsAsync(media, storage.ProcessedContainer));
        Assert.Equal(0, await data.ScalarAsync<int>("SELECT count(*)::int FROM ingest_outbox"));
    }
}
