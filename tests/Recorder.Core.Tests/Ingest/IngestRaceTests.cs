using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Api;
using Recorder.Core.Ingest;
using Recorder.Core.Privacy;
using Recorder.Core.Recordings;
using Recorder.Core.Security;
using Recorder.Core.Storage;
using Recorder.Core.Tests.Lifecycle;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Ingest;

/// <summary>
/// Delete and erasure win every race with an ingest worker: the worker is held at the write of a derived blob
/// (the real blob client, stopped at that request), the recording is deleted (after the write) or its owner erased
/// (before it, so the erasure's storage sweep cannot see it), then the worker goes on. It must not bring the
/// recording back, and must remove what it wrote.
/// </summary>
public sealed class IngestRaceTests : IngestTestBase
{
    public static TheoryData<string> WrittenBlobs => ["thumbnail", "media copy"];

    [Theory]
    [MemberData(nameof(WrittenBlobs))]
    public async Task A_recording_deleted_while_ingest_writes_leaves_no_row_and_no_blob(string written)
    {
        var (userId, id, message) = await AcceptedRecordingAsync();

        await RunWorkerHeldAtAsync(written, beforeTheWrite: false, message, async services =>
        {
            var caller = new Caller(userId, RecordingScopes.All, Caller.SessionMethod);
            var deleted = await services.GetRequiredService<RecordingsService>().DeleteAsync(caller, id, RequestInfo.None, default);
            Assert.True(deleted.Value);
        });

        Assert.Null(await data.StatusAsync(id));
        Assert.Empty(await BlobsUnderAsync($"{userId}/{id}/"));
    }

    [Theory]
    [MemberData(nameof(WrittenBlobs))]
    public async Task A_user_erased_while_ingest_writes_leaves_nothing_of_theirs(string written)
    {
        var (userId, id, message) = await AcceptedRecordingAsync();

        await RunWorkerHeldAtAsync(written, beforeTheWrite: true, message, async services =>
        {
            var erased = await services.GetRequiredService<ErasureService>().EraseAsync(userId, null, default);
            Assert.Null(erased.Failure);
        });

        Assert.Null(await data.StatusAsync(id));
        Assert.Equal(0, await data.ScalarAsync<int>("SELECT count(*)::int FROM recordings WHERE user_id = @userId", new { userId }));
        Assert.Empty(await BlobsUnderAsync($"{PrivacySubjects.Folder(userId)}/"));
        Assert.Equal(0, await data.ScalarAsync<int>("SELECT count(*)::int FROM derived_blobs WHERE recording_id = @id", new { id }));
    }

    /// <summary>Runs the ingest worker on <paramref name="message"/>, doing <paramref name="meanwhile"/> just before or after it writes <paramref name="written"/>.</summary>
    private async Task RunWorkerHeldAtAsync(string written, bool beforeTheWrite, IngestMessage message, Func<IServiceProvider, Task> meanwhile)
    {
        await using var services = harness.Build();
        var container = written == "thumbnail" ? storage.ThumbnailsContainer : storage.ProcessedContainer;
        var gate = beforeTheWrite
            ? OnFirstBlobRequest.PutInto(container, before: () => meanwhile(services))
            : OnFirstBlobRequest.PutInto(container, after: () => meanwhile(services));
        var held = LifecycleHarness.BlobsWith(gate);
        await using var worker = harness.Build(blobs: held);
        await worker.GetRequiredService<IngestWorker>().ProcessAsync(message, default);
    }

    private async Task<List<string>> BlobsUnderAsync(string prefix)
    {
        var left = new List<string>();
        foreach (var container in new[] { storage.UploadsContainer, storage.ProcessedContainer, storage.ThumbnailsContainer })
        {
            await foreach (var blob in TestStorage.CreateClient().GetBlobContainerClient(container).GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }))
            {
                left.Add($"{container}/{blob.Name}");
            }
        }
        return left;
    }
}
