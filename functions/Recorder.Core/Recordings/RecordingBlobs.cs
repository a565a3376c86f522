using System.Collections.Concurrent;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Ingest;
using Recorder.Core.Storage;

namespace Recorder.Core.Recordings;

/// <summary>The blobs a recording row names: its upload, the media it serves, its thumbnail.</summary>
public sealed record RecordingBlobNames(long Id, string BlobName, string? MediaBlobName, string? ThumbnailBlobName);

/// <summary>
/// Removes every blob of deleted recordings — what the row names and what the derived-blob ledger still holds for
/// it (a replaced media copy kept for its read URLs, an unfinished attempt's) — for every path that deletes
/// (the API delete, the lifecycle sweep), so none of them can forget one.
/// </summary>
public sealed class RecordingBlobs(
    BlobServiceClient blobs, DerivedBlobs derivedBlobs, IOptions<StorageOptions> storageOptions, ILogger<RecordingBlobs> logger)
{
    /// <summary>Blob deletions in flight at once: storage round trips dominate a batch.</summary>
    private const int DeleteConcurrency = 16;

    /// <summary>Returns the recordings whose blobs are all gone; one that storage failed for keeps its row for a later run.</summary>
    public async Task<IReadOnlyCollection<long>> RemoveAsync(
        IReadOnlyList<RecordingBlobNames> recordings, CancellationToken cancellationToken)
    {
        if (recordings.Count == 0)
        {
            return [];
        }
        var storage = storageOptions.Value;
        var ledger = await derivedBlobs.OfRecordingsAsync(recordings.Select(recording => recording.Id).ToArray(), cancellationToken);
        var gone = new ConcurrentBag<long>();
        var removedDerived = new ConcurrentBag<DerivedBlob>();
        await Parallel.ForEachAsync(recordings,
            new ParallelOptions { MaxDegreeOfParallelism = DeleteConcurrency, CancellationToken = cancellationToken },
            async (recording, token) =>
        {
            try
            {
                await DeleteAsync(blobs.GetBlobContainerClient(storage.UploadsContainer).GetBlobClient(recording.BlobName), token);
                if (recording.MediaBlobName is { } media)
                {
                    await DeleteAsync(blobs.GetBlobContainerClient(storage.ProcessedContainer).GetBlobClient(media), token);
                }
                if (recording.ThumbnailBlobName is { } thumbnail)
                {
                    await DeleteAsync(blobs.GetBlobContainerClient(storage.ThumbnailsContainer).GetBlobClient(thumbnail), token);
                }
                foreach (var derived in ledger[recording.Id])
                {
                    await DeleteAsync(derivedBlobs.Client(derived), token);
                    removedDerived.Add(derived);
                }
                gone.Add(recording.Id);
            }
            catch (Exception exception) when (exception is RequestFailedException or AggregateException)
            {
                // AggregateException: the SDK's retries all failed to reach storage.
                logger.LogWarning(exception,
                    "Blobs of recording {RecordingId} could not be deleted now; it stays marked 'deleting' for the next run", recording.Id);
            }
        });
        await derivedBlobs.ForgetAsync([.. removedDerived], cancellationToken);
        return gone;
    }

    private static Task DeleteAsync(BlobClient blob, CancellationToken cancellationToken)
        => blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
}
