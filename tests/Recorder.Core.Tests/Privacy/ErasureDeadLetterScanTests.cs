using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Recorder.Core.Privacy;
using Recorder.Core.Tests.Lifecycle;
using Xunit;

namespace Recorder.Core.Tests.Privacy;

/// <summary>
/// The erasure's storage sweep reads only the dead-lettered events that can be about the user: none written before
/// the user's first recording is downloaded, nor a year wholly before it listed (seen in the blob client's pipeline).
/// </summary>
public sealed class ErasureDeadLetterScanTests : ErasureTestBase
{
    [Fact]
    public async Task The_storage_sweep_reads_only_dead_letters_written_since_the_users_first_recording()
    {
        var userId = await data.NewUserAsync();
        var otherId = await data.NewUserAsync();
        await data.SeedAsync(userId); // its recording and audit entries are the user's first, now; with a dead letter of theirs
        var now = DateTimeOffset.UtcNow;
        // Written before the user's first recording (an hour's margin for the clocks aside): none can be about them.
        string[] earlier =
        [
            PrivacyTestData.DeadLetterName(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero)),
            PrivacyTestData.DeadLetterName(now.AddDays(-1)),
            PrivacyTestData.DeadLetterName(now.AddHours(-3)),
        ];
        foreach (var name in earlier)
        {
            await data.DeadLetterAsync(name, otherId, 1);
        }
        var sinceThen = PrivacyTestData.DeadLetterName(now);
        await data.DeadLetterAsync(sinceThen, otherId, 2);
        var requests = new BlobRequests();

        var erased = await erasures.RunAsync(service => service.EraseAsync(userId, progress: null, CancellationToken.None), blobs: LifecycleHarness.BlobsWith(requests));

        Assert.Equal(ErasureReceipt.Completed, erased.Value!.Status);
        Assert.Empty(await data.BlobsOfAsync(userId));
        // Someone else's dead letter of the window was read and kept; the earlier ones were neither read nor listed.
        Assert.Contains(requests.Downloads, path => path.EndsWith(sinceThen, StringComparison.Ordinal));
        Assert.True(await data.Blob(storage.DeadLetterContainer, sinceThen).ExistsAsync());
        foreach (var name in earlier)
        {
            Assert.DoesNotContain(requests.Downloads, path => path.EndsWith(name, StringComparison.Ordinal));
            Assert.True(await data.Blob(storage.DeadLetterContainer, name).ExistsAsync());
        }
        Assert.DoesNotContain(requests.ListedPrefixes, prefix => prefix.StartsWith("RECORDINGS-UPLOADS-BLOB-CREATED/2020/", StringComparison.Ordinal));
    }

    /// <summary>The blobs a client downloads (GETs of content) and the prefixes it lists, as paths and prefixes.</summary>
    private sealed class BlobRequests : HttpPipelinePolicy
    {
        private readonly ConcurrentQueue<string> downloads = new();
        private readonly ConcurrentQueue<string> listedPrefixes = new();

        public IReadOnlyCollection<string> Downloads => downloads;
        public IReadOnlyCollection<string> ListedPrefixes => listedPrefixes;

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Note(message.Request);
            ProcessNext(message, pipeline);
        }

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Note(message.Request);
            return ProcessNextAsync(message, pipeline);
        }

        private void Note(Request request)
        {
            if (request.Method != RequestMethod.Get)
            {
                return;
            }
            var uri = request.Uri.ToUri();
            var query = System.Web.HttpUtility.ParseQueryString(uri.Query);
            if (query["comp"] == "list")
            {
                listedPrefixes.Enqueue(query["prefix"] ?? "");
            }
            else if (query["comp"] is null)
            {
                downloads.Enqueue(Uri.UnescapeDataString(uri.AbsolutePath));
            }
        }
    }
}
