using System.Globalization;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Recorder.Testing.EventGrid;

/// <summary>
/// Microsoft.Storage.BlobCreated events in the Event Grid schema, as Event Grid posts them to the webhook after a
/// PutBlob; shared by the webhook tests and the benchmarks so both feed the app the same shape.
/// </summary>
public static class BlobCreatedEvents
{
    /// <summary>
    /// One event for <paramref name="blob"/> as uploaded (<paramref name="properties"/>), from the storage account
    /// <paramref name="topic"/>. A mutable dictionary, so a test can spoil one field before serialising it.
    /// </summary>
    public static Dictionary<string, object?> Create(string topic, BlobClient blob, BlobProperties properties, string sequencer) => new()
    {
        ["id"] = Guid.NewGuid().ToString(),
        ["topic"] = topic,
        ["subject"] = $"/blobServices/default/containers/{blob.BlobContainerName}/blobs/{blob.Name}",
        ["eventType"] = "Microsoft.Storage.BlobCreated",
        ["eventTime"] = DateTimeOffset.UtcNow.ToString("O"),
        ["dataVersion"] = "",
        ["metadataVersion"] = "1",
        ["data"] = new Dictionary<string, object?>
        {
            ["api"] = "PutBlob",
            ["clientRequestId"] = Guid.NewGuid().ToString(),
            ["requestId"] = Guid.NewGuid().ToString(),
            ["eTag"] = properties.ETag.ToString(),
            ["contentType"] = properties.ContentType,
            ["contentLength"] = properties.ContentLength,
            ["blobType"] = "BlockBlob",
            ["url"] = blob.Uri.ToString(),
            ["sequencer"] = sequencer,
            ["storageDiagnostics"] = new Dictionary<string, object?> { ["batchId"] = Guid.NewGuid().ToString() },
        },
    };

    /// <summary>The <paramref name="n"/>th sequencer: 32 hex digits, so they order as strings the way storage's do.</summary>
    public static string Sequencer(int n) => n.ToString("x32", CultureInfo.InvariantCulture);
}
