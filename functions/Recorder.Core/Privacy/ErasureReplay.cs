using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Storage;

namespace Recorder.Core.Privacy;

/// <summary>What a replay did with the ledger's entries (one per erasure, its supplements merged in).</summary>
public sealed record ErasureReplayResult(int Entries, int Replayed, int AlreadyApplied, int StorageOnly, int NothingFound, int Held);

/// <summary>
/// <c>recorder replay-erasures</c>: after a restore, every erasure the ledger holds since the restore point is applied
/// again to the restored database and to storage, by the erasure's own steps (docs/privacy.md, "Erasures survive
/// restores"). Idempotent: an erasure the database already has under the entry's ledger id, past pending, is left alone.
/// </summary>
public sealed class ErasureReplay(
    ErasureLedger ledger,
    ErasureDatabaseSteps steps,
    ErasureService erasures,
    ErasureStorageSweep storage,
    BlobServiceClient blobs,
    IOptions<StorageOptions> storageOptions,
    TimeProvider time,
    ILogger<ErasureReplay> logger)
{
    /// <summary>
    /// Entries from this long before the restore point are read too: an erasure opened just before it may have
    /// committed just after. Those the backup has are recognised by their ledger id.
    /// </summary>
    public static readonly TimeSpan Margin = TimeSpan.FromHours(1);

    public async Task<ErasureReplayResult> ReplayAsync(
        DateTimeOffset since, IProgress<PrivacyProgress>? progress, CancellationToken cancellationToken)
    {
        var entries = Merge(await ledger.ReadSinceAsync(since - Margin, time.GetUtcNow(), cancellationToken));
        var key = await steps.SubjectKeyAsync(cancellationToken);
        var keyId = PrivacySubjects.KeyId(key);
        if (entries.FirstOrDefault(entry => entry.KeyId != keyId) is { } foreign)
        {
            throw new InvalidOperationException(
                $"Ledger entry {foreign.LedgerId} was hashed with subject key {foreign.KeyId}, but this database's privacy_subject_key " +
                $"is {keyId}: its users cannot be matched. Restore a backup taken after migration 015 made the key (docs/privacy.md).");
        }
        var subjects = entries.Select(entry => entry.SubjectHash).ToHashSet(StringComparer.Ordinal);
        var users = await steps.UsersBySubjectAsync(key, subjects, cancellationToken);
        var folders = subjects.All(users.ContainsKey)
            ? []
            : await FoldersBySubjectAsync(key, subjects, cancellationToken);

        int replayed = 0, already = 0, storageOnly = 0, nothing = 0, held = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            progress?.Report(new PrivacyProgress(i, entries.Count, $"erasure requested {entry.RequestedAt:u}"));
            if (await steps.GetByLedgerIdAsync(entry.LedgerId, cancellationToken) is { Status: not ErasureReceipt.Pending })
            {
                already++;
            }
            else if (users.TryGetValue(entry.SubjectHash, out var userId))
            {
                var result = await erasures.ReplayAsync(userId, entry, cancellationToken);
                if (result.Failure is not null)
                {
                    held++;
                    logger.LogWarning(
                        "Ledger entry {LedgerId} is kept by a legal hold in this database; it waits for the hold", entry.LedgerId);
                }
                else
                {
                    replayed++;
                }
            }
            else if (folders.TryGetValue(entry.SubjectHash, out var folder))
            {
                // No row names the user, but storage brought blobs of theirs back: the erasure's own storage sweep.
                var erased = entry.Recordings.ToHashSet();
                await storage.SweepAsync(folder, id => !erased.Contains(id), _ => false, entry.DeadLettersSince, cancellationToken);
                storageOnly++;
            }
            else
            {
                nothing++;
            }
        }
        progress?.Report(new PrivacyProgress(entries.Count, entries.Count, "ledger replayed"));
        logger.LogInformation(
            "Erasure ledger replayed since {Since}: {Entries} entries, {Replayed} replayed, {Already} already applied, " +
            "{StorageOnly} in storage only, {Nothing} with nothing left, {Held} held",
            since, entries.Count, replayed, already, storageOnly, nothing, held);
        return new ErasureReplayResult(entries.Count, replayed, already, storageOnly, nothing, held);
    }

    /// <summary>One entry per erasure: a supplement (recordings marked on a later run) adds its recordings.</summary>
    private static List<ErasureLedgerEntry> Merge(List<ErasureLedgerEntry> entries)
        => [.. entries.GroupBy(entry => entry.LedgerId).Select(group => group.First() with
        {
            Recordings = [.. group.SelectMany(entry => entry.Recordings).Distinct().Order()],
        })];

    /// <summary>The top-level blob folders of the user data containers whose subject hash is one of the subjects.</summary>
    private async Task<Dictionary<string, string>> FoldersBySubjectAsync(
        byte[] key, IReadOnlySet<string> subjects, CancellationToken cancellationToken)
    {
        var options = storageOptions.Value;
        var prefixes = new List<(string Container, string? Prefix)>
        {
            (options.UploadsContainer, null), (options.ProcessedContainer, null), (options.ThumbnailsContainer, null),
            (options.ExportsContainer, null), (options.DeadLetterContainer, ErasureDeadLetterScan.QuarantinePrefix),
        };
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (container, prefix) in prefixes)
        {
            var client = blobs.GetBlobContainerClient(container);
            foreach (var folderPrefix in await ErasureBlobListing.FoldersAsync(client, prefix, logger, cancellationToken))
            {
                var folder = folderPrefix[(prefix?.Length ?? 0)..].TrimEnd('/');
                var hash = PrivacySubjects.Hash(key, folder);
                if (subjects.Contains(hash))
                {
                    found[hash] = folder;
                }
            }
        }
        return found;
    }
}
