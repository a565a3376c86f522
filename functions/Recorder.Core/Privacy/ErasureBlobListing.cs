using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;

namespace Recorder.Core.Privacy;

/// <summary>
/// Listings for an erasure: with snapshots, previous versions and soft-deleted blobs where the service supports
/// them (Azurite, and accounts without versioning, refuse or ignore some states: it falls back to fewer).
/// </summary>
internal static class ErasureBlobListing
{
    private static readonly BlobStates[] BlobTries = [BlobStates.Snapshots | BlobStates.Version | BlobStates.Deleted,
        BlobStates.Snapshots | BlobStates.Deleted, BlobStates.Snapshots];

    // Snapshots cannot be listed by hierarchy; a folder holding only previous versions or soft-deleted blobs still counts.
    private static readonly BlobStates[] FolderTries = [BlobStates.Version | BlobStates.Deleted, BlobStates.Deleted, BlobStates.None];

    /// <summary>
    /// Every blob under the prefix: snapshots and previous versions first, each counted as itself; then the current blobs.
    /// </summary>
    public static async Task<IReadOnlyList<BlobItem>> BlobsAsync(
        BlobContainerClient container, string? prefix, ILogger logger, CancellationToken cancellationToken)
    {
        var items = await ListAsync(container, BlobTries,
            states => container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix, States = states }, cancellationToken), logger);
        return [.. items.OrderBy(item => item.Snapshot is null && item is not { VersionId: not null, IsLatestVersion: not true } ? 1 : 0)];
    }

    /// <summary>The folders right under the prefix, as prefixes ending in '/'.</summary>
    public static async Task<IReadOnlyList<string>> FoldersAsync(
        BlobContainerClient container, string? prefix, ILogger logger, CancellationToken cancellationToken)
    {
        var items = await ListAsync(container, FolderTries, states => container.GetBlobsByHierarchyAsync(
            new GetBlobsByHierarchyOptions { Prefix = prefix, Delimiter = "/", States = states }, cancellationToken), logger);
        return [.. items.Where(item => item.IsPrefix).Select(item => item.Prefix).Distinct(StringComparer.Ordinal)];
    }

    private static async Task<List<T>> ListAsync<T>(
        BlobContainerClient container, BlobStates[] tries, Func<BlobStates, AsyncPageable<T>> list, ILogger logger)
        where T : notnull
    {
        foreach (var states in tries)
        {
            var items = new List<T>();
            try
            {
                await foreach (var item in list(states))
                {
                    items.Add(item);
                }
                return items;
            }
            catch (RequestFailedException exception) when (exception.Status is 400 or 501 && states != tries[^1])
            {
                logger.LogDebug("Listing {Container} with {States} is not supported here; trying fewer states", container.Name, states);
            }
            catch (RequestFailedException exception) when (exception.Status == 404 && exception.ErrorCode == "ContainerNotFound")
            {
                return [];
            }
        }
        return [];
    }
}
