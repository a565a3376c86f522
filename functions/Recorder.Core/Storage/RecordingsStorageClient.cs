using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;

namespace Recorder.Core.Storage;

/// <summary>
/// Builds the <see cref="BlobServiceClient"/> for a Functions-style connection setting, so the same
/// keys work here, in the Functions host's own bindings and in Bicep's app settings.
/// </summary>
public static class RecordingsStorageClient
{
    public static BlobServiceClient Create(IConfiguration configuration, BlobClientOptions? options = null, string connectionName = StorageOptions.ConnectionName)
    {
        var connectionString = configuration[connectionName];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return new BlobServiceClient(connectionString, options);
        }

        var section = configuration.GetSection(connectionName);
        var serviceUri = section["blobServiceUri"] ?? section["serviceUri"];
        if (string.IsNullOrWhiteSpace(serviceUri))
        {
            throw new InvalidOperationException(
                $"Storage connection '{connectionName}' is not configured: set '{connectionName}' to a connection string, " +
                $"or '{connectionName}__blobServiceUri' (with '{connectionName}__credential' = managedidentity and '{connectionName}__clientId').");
        }
        return new BlobServiceClient(new Uri(serviceUri), CreateCredential(section), options);
    }

    private static TokenCredential CreateCredential(IConfigurationSection section)
    {
        var clientId = section["clientId"];
        var wantsManagedIdentity = string.Equals(section["credential"], "managedidentity", StringComparison.OrdinalIgnoreCase);
        return wantsManagedIdentity && !string.IsNullOrEmpty(clientId)
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new DefaultAzureCredential();
    }
}
