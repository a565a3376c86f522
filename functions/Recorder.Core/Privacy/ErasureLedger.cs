using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using Recorder.Core.Storage;

namespace Recorder.Core.Privacy;

/// <summary>
/// One erasure as the ledger keeps it: no personal data, only what re-erasing needs after a restore (docs/privacy.md,
/// "Erasures survive restores"). <see cref="SubjectHash"/> is the receipt's subject hash, made with the key
/// <see cref="KeyId"/> names; <see cref="Recordings"/> are the recordings it erased.
/// </summary>
public sealed record ErasureLedgerEntry(
    int Version,
    Guid LedgerId,
    string SubjectHash,
    string KeyId,
    DateTimeOffset RequestedAt,
    DateTimeOffset? DeadLettersSince,
    long[] Recordings)
{
    public const int CurrentVersion = 1;
}

/// <summary>
/// The erasure ledger: a block blob per entry in a container that restores never touch and Azure keeps immutable
/// (time-based retention), named <c>{yyyy}/{MM}/{dd}/{HHmmssfffffff}-{ledger id}-{recordings digest}.json</c> by the
/// erasure's request time, so the same entry always gets the same name and writing it again changes nothing.
/// </summary>
public sealed class ErasureLedger(BlobServiceClient blobs, IOptions<StorageOptions> storageOptions)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private BlobContainerClient Container => blobs.GetBlobContainerClient(storageOptions.Value.ErasureLedgerContainer);

    /// <summary>Writes the entry unless it is there; any failure throws <see cref="ErasureLedgerException"/>.</summary>
    public async Task AppendAsync(ErasureLedgerEntry entry, CancellationToken cancellationToken)
    {
        var blob = Container.GetBlobClient(NameOf(entry));
        try
        {
            await blob.UploadAsync(BinaryData.FromObjectAsJson(entry, Json),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status == 409 && exception.ErrorCode == BlobErrorCode.BlobAlreadyExists)
        {
            // Written by an earlier attempt whose database update did not happen: the entry is there.
        }
        catch (Exception exception) when (exception is RequestFailedException or AggregateException)
        {
            throw new ErasureLedgerException(
                $"The erasure ledger (container '{Container.Name}') could not be written: {exception.Message}", exception);
        }
    }

    /// <summary>
    /// The entries of erasures requested at or after <paramref name="since"/>, oldest first (the months from its month
    /// on are listed; the rest is skipped by name).
    /// </summary>
    public async Task<List<ErasureLedgerEntry>> ReadSinceAsync(
        DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var entries = new List<(string Name, ErasureLedgerEntry Entry)>();
        var sinceName = TimePrefix(since);
        try
        {
            for (var month = new DateTime(since.UtcDateTime.Year, since.UtcDateTime.Month, 1);
                 month <= until.UtcDateTime;
                 month = month.AddMonths(1))
            {
                await foreach (var item in Container.GetBlobsAsync(
                    new GetBlobsOptions { Prefix = month.ToString("yyyy/MM/", CultureInfo.InvariantCulture) }, cancellationToken))
                {
                    if (string.CompareOrdinal(item.Name, sinceName) < 0)
                    {
                        continue;
                    }
                    var content = (await Container.GetBlobClient(item.Name).DownloadContentAsync(cancellationToken)).Value.Content;
                    entries.Add((item.Name, content.ToObjectFromJson<ErasureLedgerEntry>(Json)!));
                }
            }
        }
        catch (Exception exception) when (exception is RequestFailedException or AggregateException)
        {
            throw new ErasureLedgerException(
                $"The erasure ledger (container '{Container.Name}') could not be read: {exception.Message}", exception);
        }
        return [.. entries.OrderBy(entry => entry.Name, StringComparer.Ordinal).Select(entry => entry.Entry)];
    }

    public static string NameOf(ErasureLedgerEntry entry)
    {
        var digest = SHA256.HashData(Encoding.ASCII.GetBytes(string.Join(',', entry.Recordings.Order())));
        return $"{TimePrefix(entry.RequestedAt)}-{entry.LedgerId:N}-{Convert.ToHexStringLower(digest)[..8]}.json";
    }

    private static string TimePrefix(DateTimeOffset time)
        => time.UtcDateTime.ToString("yyyy/MM/dd/HHmmssfffffff", CultureInfo.InvariantCulture);
}

/// <summary>The ledger could not be written or read: the erasure stays where it was and fails visibly, for a retry.</summary>
public sealed class ErasureLedgerException(string message, Exception inner) : InvalidOperationException(message, inner);
