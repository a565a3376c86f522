using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace Recorder.Core.Storage;

/// <summary>
/// Builds storage clients for a Functions-style connection setting, so the same keys work here, in the
/// Functions host's own queue bindings and in Bicep's app settings: a connection string under the name,
/// or identity-based <c>{name}__blobServiceUri</c> / <c>{name}__queueServiceUri</c> with
/// <c>{name}__credential</c> = managedidentity and <c>{name}__clientId</c>.
/// </summary>
public static class RecordingsStorageClient
{
    public static BlobServiceClient Create(
        IConfiguration configuration, BlobClientOptions? options = null, string connectionName = StorageOptions.ConnectionName)
        => configuration[connectionName] is { Length: > 0 } connectionString
            ? new BlobServiceClient(connectionString, options)
            : new BlobServiceClient(ServiceUri(configuration, connectionName, "blobServiceUri"),
                Credential(configuration.GetSection(connectionName)), options);

    public static QueueServiceClient CreateQueueService(
        IConfiguration configuration, QueueClientOptions? options = null, string connectionName = StorageOptions.ConnectionName)
        => configuration[connectionName] is { Length: > 0 } connectionString
            ? new QueueServiceClient(connectionString, options)
            : new QueueServiceClient(ServiceUri(configuration, connectionName, "queueServiceUri"),
                Credential(configuration.GetSection(connectionName)), options);

    /// <summary>
    /// Storage calls sit on request paths: a few quick retries (under 2 s in all), then the caller deals with it — a 503,
    /// or a sweep takes the work over. The storage SDK's default, 5 retries from 0.8 s, waits about 25 s in an outage:
    /// close to the 30 s Event Grid gives the webhook, and longer than a person waits.
    /// </summary>
    public static TOptions WithBriefRetries<TOptions>(TOptions options) where TOptions : ClientOptions
    {
        options.Retry.MaxRetries = 3;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
        return options;
    }

    private static Uri ServiceUri(IConfiguration configuration, string connectionName, string key)
    {
        var section = configuration.GetSection(connectionName);
        // A blob-only connection may say just serviceUri, as the Functions blob binding allows.
        var serviceUri = section[key] ?? (key == "blobServiceUri" ? section["serviceUri"] : null);
        return string.IsNullOrWhiteSpace(serviceUri)
            ? throw new InvalidOperationException(
                $"Storage connection '{connectionName}' is not configured: set '{connectionName}' to a connection string, " +
                $"or '{connectionName}__{key}' (with '{connectionName}__credential' = managedidentity and '{connectionName}__clientId').")
            : new Uri(serviceUri);
    }

    private static TokenCredential Credential(IConfigurationSection section)
    {
        var clientId = section["clientId"];
        var wantsManagedIdentity = string.Equals(section["credential"], "managedidentity", StringComparison.OrdinalIgnoreCase);
        return wantsManagedIdentity && !string.IsNullOrEmpty(clientId)
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new DefaultAzureCredential();
    }
}
