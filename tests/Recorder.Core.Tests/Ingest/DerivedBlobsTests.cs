using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Api;
using Recorder.Core.Ingest;
using Recorder.Core.Recordings;
using Recorder.Core.Security;
using Xunit;

namespace Recorder.Core.Tests.Ingest;

/// <summary>
/// The derived-blob ledger: a media copy replaced by its seekable copy keeps serving the read URLs handed out for it
/// until they expire, then goes; what no recording serves goes after its time; a deleted recording takes all of it.
/// </summary>
public sealed class DerivedBlobsTests : IngestTestBase
{
    [Fact]
    public async Task A_replaced_media_copy_stays_until_its_read_urls_have_expired_then_goes()
    {
        var (_, id, message) = await AcceptedRecordingAsync();
        await ProcessAsync(message);
        var replaced = await MediaAsync(id);
        await ProcessAsync(Assert.Single(await harness.ReceiveAsync()));
        Assert.EndsWith("/seekable.webm", await MediaAsync(id));

        Assert.Equal(0, await SweepAsync());
        Assert.True(await data.BlobExistsAsync(replaced, storage.ProcessedContainer));
        var keptFor = await data.ScalarAsync<TimeSpan>("SELECT remove_after - now() FROM derived_blobs WHERE blob_name = @replaced", new { replaced });
        // The read URL lifetime (15 min) and the clock skew (5 min): a URL signed at the switch still works to its end.
        Assert.InRange(keptFor, TimeSpan.FromMinutes(19), TimeSpan.FromMinutes(20));

        await data.ExecuteAsync("UPDATE derived_blobs SET remove_after = now() - interval '1 second'");
        Assert.Equal(1, await SweepAsync());
        Assert.False(await data.BlobExistsAsync(replaced, storage.ProcessedContainer));
        Assert.True(await data.BlobExistsAsync(await MediaAsync(id), storage.ProcessedContainer));
        Assert.Equal(0, await data.ScalarAsync<int>("SELECT count(*)::int FROM derived_blobs"));
    }

    [Fact]
    public async Task A_blob_an_attempt_recorded_but_no_recording_serves_is_removed_after_its_time_and_a_served_one_is_kept()
    {
        var (_, id, message) = await AcceptedRecordingAsync();
        await ProcessAsync(message);
        var served = await MediaAsync(id);
        var crashed = new DerivedBlob(DerivedBlob.Processed, served.Replace("/media.webm", "-crashed/media.webm", StringComparison.Ordinal));
        await using (var services = harness.Build())
        {
            var derived = services.GetRequiredService<DerivedBlobs>();
            await derived.RecordAsync(id, [crashed, new DerivedBlob(DerivedBlob.Processed, served)], TimeSpan.Zero, default);
            await derived.Client(crashed).UploadAsync(BinaryData.FromString("left by an attempt that died"));
        }

        Assert.Equal(1, await SweepAsync());
        Assert.False(await data.BlobExistsAsync(crashed.BlobName, storage.ProcessedContainer));
        Assert.True(await data.BlobExistsAsync(served, storage.ProcessedContainer));
    }

    [Fact]
    public async Task Deleting_a_recording_removes_the_replaced_copy_it_still_keeps_for_read_urls()
    {
        var (userId, id, message) = await AcceptedRecordingAsync();
        await ProcessAsync(message);
        var replaced = await MediaAsync(id);
        await ProcessAsync(Assert.Single(await harness.ReceiveAsync()));

        await using (var services = harness.Build())
        {
            var deleted = await services.GetRequiredService<RecordingsService>().DeleteAsync(new Caller(userId, RecordingScopes.All, Caller.SessionMethod), id, RequestInfo.None, default);
            Assert.True(deleted.Value);
        }

        Assert.False(await data.BlobExistsAsync(replaced, storage.ProcessedContainer));
        Assert.Equal(0, await data.ScalarAsync<int>("SELECT count(*)::int FROM derived_blobs"));
    }

    private Task<string> MediaAsync(long id) => data.ScalarAsync<string>("SELECT media_blob_name FROM recordings WHERE id = @id", new { id });

    private async Task<int> SweepAsync()
    {
        await using var services = harness.Build();
        return await services.GetRequiredService<DerivedBlobs>().SweepAsync(default);
    }
}
