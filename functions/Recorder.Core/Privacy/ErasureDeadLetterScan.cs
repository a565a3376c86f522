using System.Globalization;
using System.Text.RegularExpressions;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;

namespace Recorder.Core.Privacy;

/// <summary>
/// Finds Event Grid's dead-lettered events that name one of the user's blobs, listing only the dated folders that reach
/// into the erasure's <c>dead_letters_since</c> window and reading each blob once a sweep (docs/privacy.md, "Dead letters").
/// </summary>
public sealed class ErasureDeadLetterScan(ILogger<ErasureDeadLetterScan> logger)
{
    internal const string QuarantinePrefix = "quarantine/";

    private const long LargestDeadLetterBlob = 1024 * 1024;

    // The hour in a dead letter's name is Event Grid's clock; the window's start is PostgreSQL's.
    private static readonly TimeSpan ClockMargin = TimeSpan.FromHours(1);

    /// <summary>Dead letters of the window naming one of the folder's blobs, except those only about recordings it keeps.</summary>
    /// <param name="unrelated">
    /// Dead letters already read in this sweep and found not to concern the user; grows as the scan reads more.
    /// </param>
    internal async IAsyncEnumerable<BlobItem> FindAsync(
        BlobContainerClient container, string folder, DateTimeOffset since, Func<long, bool> keeps, ISet<string> unrelated,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var from = since - DateTimeOffset.MinValue > ClockMargin ? since - ClockMargin : DateTimeOffset.MinValue;
        var marker = $"/blobs/{folder}/";
        await foreach (var prefix in DatedFoldersAsync(container, prefix: null, date: [], from, cancellationToken))
        {
            foreach (var item in await ErasureBlobListing.BlobsAsync(container, prefix, logger, cancellationToken))
            {
                var key = $"{item.Name}|{item.Snapshot}|{item.VersionId}";
                if (item.Deleted || item.Properties.ContentLength is not (> 0 and <= LargestDeadLetterBlob) || unrelated.Contains(key))
                {
                    continue;
                }
                if (await ReadAsync(container, item, cancellationToken) is { } text && Concerns(text, marker, keeps))
                {
                    yield return item;
                }
                else
                {
                    unrelated.Add(key);
                }
            }
        }
    }

    /// <summary>
    /// The folders to list whole: below a name folder (the subscription's; quarantine/ is swept by prefix), each
    /// year, month, day and hour folder whose time span reaches <paramref name="from"/>; one that begins at or after
    /// it is taken whole, one that begins before is walked into.
    /// </summary>
    private async IAsyncEnumerable<string> DatedFoldersAsync(BlobContainerClient container, string? prefix, int[] date, DateTimeOffset from,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var folder in await ErasureBlobListing.FoldersAsync(container, prefix, logger, cancellationToken))
        {
            var segment = folder[(prefix?.Length ?? 0)..^1];
            if (!int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                // A name folder above the dates (Event Grid's subscription, at most a topic above it).
                if (date.Length == 0 && folder != QuarantinePrefix && folder.Count(c => c == '/') <= 2)
                {
                    await foreach (var dated in DatedFoldersAsync(container, folder, date, from, cancellationToken))
                    {
                        yield return dated;
                    }
                }
                continue;
            }
            int[] folderDate = [.. date, value];
            if (Span(folderDate) is not var (start, end) || end <= from)
            {
                continue;
            }
            if (start >= from || folderDate.Length == 4)
            {
                yield return folder;
                continue;
            }
            await foreach (var dated in DatedFoldersAsync(container, folder, folderDate, from, cancellationToken))
            {
                yield return dated;
            }
        }
    }

    /// <summary>The time a year, month, day or hour folder covers; null for what is no date.</summary>
    private static (DateTimeOffset Start, DateTimeOffset End)? Span(int[] date)
    {
        var (year, month, day, hour) = (date[0], date.Length > 1 ? date[1] : 1, date.Length > 2 ? date[2] : 1,
            date.Length > 3 ? date[3] : 0);
        if (year is < 1 or > 9998 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23)
        {
            return null;
        }
        var start = new DateTimeOffset(year, month, day, hour, 0, 0, TimeSpan.Zero);
        return (start,
            date.Length switch { 1 => start.AddYears(1), 2 => start.AddMonths(1), 3 => start.AddDays(1), _ => start.AddHours(1) });
    }

    private static async Task<string?> ReadAsync(BlobContainerClient container, BlobItem item, CancellationToken cancellationToken)
    {
        var blob = container.GetBlobClient(item.Name);
        if (item.Snapshot is { } snapshot)
        {
            blob = blob.WithSnapshot(snapshot);
        }
        else if (item is { VersionId: { } version, IsLatestVersion: not true })
        {
            blob = blob.WithVersion(version);
        }
        try
        {
            return (await blob.DownloadContentAsync(cancellationToken)).Value.Content.ToString();
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether the events name one of the user's blobs; one about a recording
    /// made after the erasure stays (the operator may still re-post it).
    /// </summary>
    private static bool Concerns(string text, string marker, Func<long, bool> keeps)
    {
        if (!text.Contains(marker, StringComparison.Ordinal))
        {
            return false;
        }
        var named = Regex.Matches(text, $"{Regex.Escape(marker)}(\\d+)/")
            .Select(match => long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : -1)
            .ToList();
        return named.Count == 0 || !named.All(keeps);
    }
}
