using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;

namespace Recorder.DevHost;

/// <summary>
/// What the event bridge has announced (blob name → eTag), kept beside the blobs it describes: a blob in the
/// <see cref="ContainerName"/> container named after the watched one. Event Grid never announces a committed blob
/// twice, so a restarted dev host must not either; and wiping Azurite's data wipes this with it.
/// </summary>
internal sealed class EventBridgeMemory(BlobServiceClient blobs, string watchedContainer)
{
    public const string ContainerName = "devhost-eventbridge";

    private BlobClient Blob => blobs.GetBlobContainerClient(ContainerName).GetBlobClient($"{watchedContainer}.json");

    /// <summary>What an earlier run announced; empty when none did.</summary>
    public async Task<Dictionary<string, string>> LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var content = (await Blob.DownloadContentAsync(cancellationToken)).Value.Content;
            return content.ToObjectFromJson<Dictionary<string, string>>() is { } announced
                ? new Dictionary<string, string>(announced, StringComparer.Ordinal)
                : new Dictionary<string, string>(StringComparer.Ordinal);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return new Dictionary<string, string>(StringComparer.Ordinal);
        }
    }

    public async Task SaveAsync(IReadOnlyDictionary<string, string> announced, CancellationToken cancellationToken)
    {
        var content = BinaryData.FromObjectAsJson(announced, new JsonSerializerOptions());
        try
        {
            await Blob.UploadAsync(content, overwrite: true, cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.ErrorCode == "ContainerNotFound")
        {
            await blobs.GetBlobContainerClient(ContainerName).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await Blob.UploadAsync(content, overwrite: true, cancellationToken);
        }
    }
}
