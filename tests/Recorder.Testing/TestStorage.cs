using Azure.Storage.Blobs;
using Recorder.Core.Storage;

namespace Recorder.Testing;

/// <summary>Azurite as scripts/test.sh started it; every test works in containers of its own.</summary>
public static class TestStorage
{
    public static BlobServiceClient CreateClient() => new(TestEnvironment.StorageConnectionString);

    /// <summary>Container names unique to one test, all created.</summary>
    public static async Task<StorageOptions> CreateContainersAsync()
    {
        var prefix = "t" + Guid.NewGuid().ToString("N")[..10];
        var options = new StorageOptions
        {
            UploadsContainer = $"{prefix}-uploads",
            ProcessedContainer = $"{prefix}-processed",
            ThumbnailsContainer = $"{prefix}-thumbnails",
            ExportsContainer = $"{prefix}-exports",
            DeadLetterContainer = $"{prefix}-deadletter",
            ErasureLedgerContainer = $"{prefix}-ledger",
        };
        var client = CreateClient();
        foreach (var container in options.AllContainers)
        {
            await client.CreateBlobContainerAsync(container);
        }
        return options;
    }

    /// <summary>The Azurite connection string with its blob and queue endpoints moved to ports nobody listens on.</summary>
    public static string StoppedConnectionString()
        => $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey()};" +
            $"BlobEndpoint=http://127.0.0.1:{ClosedPort.Next()}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{ClosedPort.Next()}/devstoreaccount1;";

    /// <summary>
    /// The Azurite connection string with its blob traffic through another endpoint (a counting relay); queues stay direct.
    /// </summary>
    public static string ConnectionStringWithBlobEndpoint(string connectionString, string blobEndpoint)
        => string.Join(';', connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.StartsWith("BlobEndpoint=", StringComparison.Ordinal) ? "BlobEndpoint=" + blobEndpoint : part)) + ";";

    private static string AccountKey()
        => TestEnvironment.StorageConnectionString.Split(';').Single(part => part.StartsWith("AccountKey=", StringComparison.Ordinal))["AccountKey=".Length..];
}
