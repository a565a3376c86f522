using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Recorder.Core.Storage;

/// <summary>
/// Creates the containers and the CORS rules the recorder page needs (browser PUTs blocks straight
/// to storage). Locally it prepares Azurite; in Azure, Bicep owns both and this is not run.
/// </summary>
public sealed class StorageInitializer(BlobServiceClient blobs, IOptions<StorageOptions> options, ILogger<StorageInitializer> logger)
{
    // What a browser upload with x-ms-* headers and a later ranged read need.
    private const string AllowedMethods = "GET,HEAD,PUT,OPTIONS";
    private const string AllowedHeaders = "content-type,content-length,content-md5,x-ms-*";
    private const string ExposedHeaders = "etag,content-length,content-range,x-ms-*";

    public async Task InitializeAsync(IReadOnlyCollection<string> corsOrigins, CancellationToken cancellationToken)
    {
        foreach (var name in options.Value.AllContainers)
        {
            var response = await blobs.GetBlobContainerClient(name)
                .CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);
            logger.LogInformation("Container {Container} {Outcome}", name, response is null ? "exists" : "created");
        }

        if (corsOrigins.Count == 0)
        {
            return;
        }
        var properties = (await blobs.GetPropertiesAsync(cancellationToken)).Value;
        properties.Cors = [new BlobCorsRule
        {
            AllowedOrigins = string.Join(',', corsOrigins),
            AllowedMethods = AllowedMethods,
            AllowedHeaders = AllowedHeaders,
            ExposedHeaders = ExposedHeaders,
            MaxAgeInSeconds = 3600,
        }];
        await blobs.SetPropertiesAsync(properties, cancellationToken);
        logger.LogInformation("CORS allows {Origins}", string.Join(' ', corsOrigins));
    }
}
