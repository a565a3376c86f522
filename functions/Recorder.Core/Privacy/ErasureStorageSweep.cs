using System.Globalization;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Storage;

namespace Recorder.Core.Privacy;

/// <summary>What one storage sweep deleted, and the soft-deleted blobs it left to the account's retention.</summary>
internal sealed record StorageSweepResult(ErasureCounts Deleted, int SoftDeleted);

/// <summary>
/// Deletes every blob of a user's in every container (snapshots and versions too), except those of recordings that live
/// on. Unreachable storage throws (RequestFailedException, or AggregateException after the SDK's retries); the next run
/// sweeps again.
/// </summary>
public sealed class ErasureStorageSweep(
    BlobServiceClient blobs,
    ErasureDeadLetterScan deadLetters,
    IOptions<StorageOptions> storageOptions,
    ILogger<ErasureStorageSweep> logger)
{
    private const int MaxSweepPasses = 3;

    /// <summary>
    /// Sweeps, repeating while a pass still finds something (deleting a current version on an account with
    /// versioning leaves a previous version behind).
    /// </summary>
    /// <param name="keeps">Recordings whose blobs stay: those made after the erasure (and, for a replay, any its entry lacks).</param>
    /// <param name="keepsQuarantined">Likewise for quarantined blobs and dead letters, which serve no recording.</param>
    /// <param name="deadLettersSince">The earliest a dead letter can name the user's blobs; null: none can.</param>
    internal async Task<StorageSweepResult> SweepAsync(
        string folder, Func<long, bool> keeps, Func<long, bool> keepsQuarantined, DateTimeOffset? deadLettersSince,
        CancellationToken cancellationToken)
    {
        var storage = storageOptions.Value;
        var deadLetterContainer = blobs.GetBlobContainerClient(storage.DeadLetterContainer);
        var deleted = new ErasureCounts();
        var unrelated = new HashSet<string>(StringComparer.Ordinal);
        for (var pass = 1; ; pass++)
        {
            var tally = new SweepTally(deleted);
            foreach (var container in new[] { storage.UploadsContainer, storage.ProcessedContainer, storage.ThumbnailsContainer,
                storage.ExportsContainer })
            {
                await SweepPrefixAsync(blobs.GetBlobContainerClient(container), $"{folder}/", keeps, tally, cancellationToken);
            }
            await SweepPrefixAsync(deadLetterContainer, $"{ErasureDeadLetterScan.QuarantinePrefix}{folder}/", keepsQuarantined, tally,
                cancellationToken);
            if (deadLettersSince is { } since)
            {
                var found = deadLetters.FindAsync(deadLetterContainer, folder, since, keepsQuarantined, unrelated, cancellationToken);
                await foreach (var item in found)
                {
                    await DeleteAsync(deadLetterContainer.GetBlobClient(item.Name), item, tally, cancellationToken);
                }
            }
            if (tally.Deleted == 0 || pass == MaxSweepPasses)
            {
                // What storage still keeps as soft-deleted, as of the last look.
                return new StorageSweepResult(deleted, tally.SoftDeleted);
            }
        }
    }

    private async Task SweepPrefixAsync(
        BlobContainerClient container, string prefix, Func<long, bool> keeps, SweepTally tally, CancellationToken cancellationToken)
    {
        foreach (var item in await ErasureBlobListing.BlobsAsync(container, prefix, logger, cancellationToken))
        {
            // {prefix}{recordingId}/…: blobs of a recording it keeps stay; exports and the rest go.
            var rest = item.Name[prefix.Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash > 0 && long.TryParse(rest[..slash], NumberStyles.None, CultureInfo.InvariantCulture, out var recordingId)
                && keeps(recordingId))
            {
                continue;
            }
            await DeleteAsync(container.GetBlobClient(item.Name), item, tally, cancellationToken);
        }
    }

    private static async Task DeleteAsync(BlobClient blob, BlobItem item, SweepTally tally, CancellationToken cancellationToken)
    {
        var counts = tally.Counts;
        if (item.Deleted)
        {
            tally.SoftDeleted++;
        }
        else if (item.Snapshot is { } snapshot)
        {
            counts.Snapshots += tally.Count(
                (await blob.WithSnapshot(snapshot)
                    .DeleteIfExistsAsync(DeleteSnapshotsOption.None, cancellationToken: cancellationToken)).Value);
        }
        else if (item is { VersionId: { } version, IsLatestVersion: not true })
        {
            counts.Versions += tally.Count(
                (await blob.WithVersion(version)
                    .DeleteIfExistsAsync(DeleteSnapshotsOption.None, cancellationToken: cancellationToken)).Value);
        }
        else
        {
            counts.Blobs += tally.Count(
                (await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken)).Value);
        }
    }

    /// <summary>One sweep pass: what it deleted (added to the sweep's counts) and the soft-deleted blobs it saw.</summary>
    private sealed class SweepTally(ErasureCounts counts)
    {
        public ErasureCounts Counts => counts;
        public int Deleted { get; private set; }
        public int SoftDeleted { get; set; }

        public int Count(bool deleted)
        {
            Deleted += deleted ? 1 : 0;
            return deleted ? 1 : 0;
        }
    }
}
