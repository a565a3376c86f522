using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Microsoft.Extensions.Options;

namespace Recorder.Core.Uploads.Sas;

/// <summary>
/// What every SAS we issue looks like: one blob (sr=b), HTTPS only unless the endpoint is plain HTTP
/// (Azurite), starting <see cref="SasOptions.ClockSkew"/> ago. Subclasses only sign.
/// </summary>
public abstract class BlobSasIssuer(BlobServiceClient blobs, IOptions<SasOptions> options, TimeProvider time) : IBlobSasIssuer
{
    // Write alone: Create does not authorise Put Block / Put Block List, which recordings need, and Write can replace a
    // committed blob only through URLs issued before the commit (docs/architecture.md, "Upload URLs").
    private const BlobSasPermissions UploadPermissions = BlobSasPermissions.Write;
    private const BlobSasPermissions ReadPermissions = BlobSasPermissions.Read;

    public Task<Uri> CreateUploadUriAsync(string container, string blobName, DateTimeOffset expiresOn, CancellationToken cancellationToken)
    {
        var blob = GetBlob(container, blobName);
        return SignAsync(blob, Describe(blob, UploadPermissions, expiresOn), cancellationToken);
    }

    public Task<Uri> CreateReadUriAsync(string container, string blobName, DateTimeOffset expiresOn, CancellationToken cancellationToken)
    {
        var blob = GetBlob(container, blobName);
        return SignAsync(blob, Describe(blob, ReadPermissions, expiresOn), cancellationToken);
    }

    /// <summary>An account key is at hand: nothing to fetch.</summary>
    public virtual Task PrepareAsync(DateTimeOffset expiresOn, CancellationToken cancellationToken) => Task.CompletedTask;

    protected abstract Task<Uri> SignAsync(BlobClient blob, BlobSasBuilder sas, CancellationToken cancellationToken);

    private BlobClient GetBlob(string container, string blobName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(container);
        ArgumentException.ThrowIfNullOrWhiteSpace(blobName);
        return blobs.GetBlobContainerClient(container).GetBlobClient(blobName);
    }

    private BlobSasBuilder Describe(BlobClient blob, BlobSasPermissions permissions, DateTimeOffset expiresOn)
        => new(permissions, expiresOn)
    {
        BlobContainerName = blob.BlobContainerName,
        BlobName = blob.Name,
        Resource = "b",
        StartsOn = time.GetUtcNow() - options.Value.ClockSkew,
        Protocol = blob.Uri.Scheme == Uri.UriSchemeHttps ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
    };
}
