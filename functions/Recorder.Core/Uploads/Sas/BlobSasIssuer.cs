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
    // Upload URLs carry Write (sp=w) alone. Create (c) is the permission that cannot overwrite ("write a
    // new blob"; account SAS: "may not overwrite existing blobs"), but it does not authorize Put Block or
    // Put Block List: Azure answers 403 to block uploads under a c-only SAS while a single Put Blob works
    // (Azure/azure-cli#16899, Azure/azure-storage-azcopy#2234), and so does Azurite 3.37 (it requires w for
    // StageBlock and CommitBlockList; UploadUrlTests.Create_alone_refuses_block_uploads). Recordings need
    // blocks. Write also covers a single Put Blob of a new blob, so c would add nothing. Write can replace a
    // committed blob: UploadService issues no renewed URL once the blob is committed, so only URLs issued
    // before the commit can still replace it, until they expire (ingest sees the new ETag).
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

    protected abstract Task<Uri> SignAsync(BlobClient blob, BlobSasBuilder sas, CancellationToken cancellationToken);

    private BlobClient GetBlob(string container, string blobName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(container);
        ArgumentException.ThrowIfNullOrWhiteSpace(blobName);
        return blobs.GetBlobContainerClient(container).GetBlobClient(blobName);
    }

    private BlobSasBuilder Describe(BlobClient blob, BlobSasPermissions permissions, DateTimeOffset expiresOn) => new(permissions, expiresOn)
    {
        BlobContainerName = blob.BlobContainerName,
        BlobName = blob.Name,
        Resource = "b",
        StartsOn = time.GetUtcNow() - options.Value.ClockSkew,
        Protocol = blob.Uri.Scheme == Uri.UriSchemeHttps ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
    };
}
