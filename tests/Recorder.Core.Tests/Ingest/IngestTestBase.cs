using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Ingest;
using Recorder.Core.Tests.Lifecycle;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Ingest;

/// <summary>Ingest through the app's own services (webhook acceptor, queue worker) on a database and containers of the test's own.</summary>
public abstract class IngestTestBase : LifecycleTestBase
{
    /// <summary>A recording awaiting its upload, the upload (a real media file), and the ingest message its event queued.</summary>
    private protected async Task<(string UserId, long Id, IngestMessage Message)> AcceptedRecordingAsync(string fixture = "chrome-camera.webm", string? userId = null)
    {
        userId ??= await data.NewUserAsync();
        var id = await data.InsertAsync(userId, "uploading", TimeSpan.FromMinutes(1));
        var blobName = LifecycleData.UploadName(userId, id);
        var blob = TestStorage.CreateClient().GetBlobContainerClient(storage.UploadsContainer).GetBlobClient(blobName);
        var uploaded = (await blob.UploadAsync(TestEnvironment.MediaFixture(fixture))).Value;
        await using (var services = harness.Build())
        {
            var blobCreated = new BlobCreatedEvent("event-1", LifecycleHarness.Topic, storage.UploadsContainer, blobName, "PutBlob",
                $"\"{uploaded.ETag.ToString().Trim('"')}\"", "0000000000000001", new FileInfo(TestEnvironment.MediaFixture(fixture)).Length, "video/webm");
            Assert.Equal(AcceptOutcome.Queued, await services.GetRequiredService<BlobEventAcceptor>().AcceptAsync(blobCreated, default));
        }
        return (userId, id, Assert.Single(await harness.ReceiveAsync()));
    }

    /// <summary>Runs the queue worker on each message, as the queue trigger would, with <paramref name="settings"/> over the harness's.</summary>
    private protected async Task ProcessAsync(IngestMessage message, IReadOnlyDictionary<string, string?>? settings = null)
    {
        await using var services = harness.Build(settings: settings);
        await services.GetRequiredService<IngestWorker>().ProcessAsync(message, default);
    }
}
