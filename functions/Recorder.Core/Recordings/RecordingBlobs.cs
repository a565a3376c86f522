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
    /// <summary>
    /// Blob deletions in flight at once, across the recordings of a batch: each is one small storage request, so the rate is
    /// set by how many are in flight (bench/results/sweeps.md measures the floor at 16, 64 and 256).
    /// </summary>
    private const int DeleteConcurrency = 64;

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
        // Every blob of the batch in one list, so a recording with three blobs does not hold a slot for three round trips.
        var deletions = new List<(long RecordingId, BlobClient Blob, DerivedBlob? Derived)>();
        foreach (var recording in recordings)
        {
            deletions.Add((recording.Id, blobs.GetBlobContainerClient(storage.UploadsContainer).GetBlobClient(recording.BlobName), null));
            if (recording.MediaBlobName is { } media)
            {
                deletions.Add((recording.Id, blobs.GetBlobContainerClient(storage.ProcessedContainer).GetBlobClient(media), null));
            }
            if (recording.ThumbnailBlobName is { } thumbnail)
            {
                deletions.Add((recording.Id, blobs.GetBlobContainerClient(storage.ThumbnailsContainer).GetBlobClient(thumbnail), null));
            }
            deletions.AddRange(ledger[recording.Id]
                .Select(derived => (recording.Id, derivedBlobs.Client(derived), (DerivedBlob?)derived)));
        }
        var failed = new ConcurrentDictionary<long, bool>();
        var removedDerived = new ConcurrentBag<DerivedBlob>();
        await Parallel.ForEachAsync(deletions,
            new ParallelOptions { MaxDegreeOfParallelism = DeleteConcurrency, CancellationToken = cancellationToken },
            async (deletion, token) =>
        {
            try
            {
                await DeleteAsync(deletion.Blob, token);
                if (deletion.Derived is { } derived)
                {
                    removedDerived.Add(derived);
                }
            }
            catch (Exception exception) when (exception is RequestFailedException or AggregateException)
            {
                // AggregateException: the SDK's retries all failed to reach storage. Logged once per recording.
                if (failed.TryAdd(deletion.RecordingId, true))
                {
                    logger.LogWarning(exception,
                        "Blobs of recording {RecordingId} could not be deleted now; it stays marked 'deleting' for the next run",
                        deletion.RecordingId);
                }
            }
        });
        await derivedBlobs.ForgetAsync([.. removedDerived], cancellationToken);
        return [.. recordings.Select(recording => recording.Id).Where(id => !failed.ContainsKey(id))];
    }

    private static Task DeleteAsync(BlobClient blob, CancellationToken cancellationToken)
        => blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
}
