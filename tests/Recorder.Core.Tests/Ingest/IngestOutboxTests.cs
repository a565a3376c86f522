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
public sealed class IngestOutboxTests : IngestTestBase
{
    [Fact]
    public async Task A_seekable_copy_whose_send_failed_after_the_commit_is_still_made()
    {
        var (_, id, ingestMessage) = await AcceptedRecordingAsync();
        var resendAtOnce = new Dictionary<string, string?> { ["Ingest:OutboxResendAfter"] = "00:00:00" };

        // The worker completes the recording, then cannot reach the queue for the seekable copy's message.
        var queueDown = new Dictionary<string, string?>
        {
            ["RecordingsStorage"] = Regex.Replace(TestEnvironment.StorageConnectionString, @"QueueEndpoint=http://[^/;]+/", $"QueueEndpoint=http://127.0.0.1:{ClosedPort.Next()}/"),
        };
        await ProcessAsync(ingestMessage, queueDown);
        Assert.Equal("completed", await data.StatusAsync(id));
        Assert.Empty(await harness.ReceiveAsync());
        Assert.Equal(1, await data.ScalarAsync<int>("SELECT count(*)::int FROM ingest_outbox"));

        IngestMessage seekableCopy;
        await using (var services = harness.Build(settings: resendAtOnce))
        {
            Assert.Equal(1, await services.GetRequiredService<IngestOutbox>().SweepAsync(default));
            seekableCopy = Assert.Single(await harness.ReceiveAsync());
            Assert.Equal((IngestMessage.SeekableCopyKind, (long?)id), (seekableCopy.Kind, seekableCopy.RecordingId));
        }
        await ProcessAsync(seekableCopy);
        var media = await data.ScalarAsync<string>("SELECT media_blob_name FROM recordings WHERE id = @id", new { id });
        Assert.EndsWith("/seekable.webm", media);
        Assert.True(await data.BlobExistsAsync(media, storage.ProcessedContainer));
        Assert.Equal(0, await data.ScalarAsync<int>("SELECT count(*)::int FROM ingest_outbox"));
    }
}
