using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Microsoft.Extensions.Options;

namespace Recorder.Core.Uploads.Sas;

/// <summary>User delegation SAS, signed with a key fetched with the app's Microsoft Entra identity (no account key in Azure).</summary>
public sealed class UserDelegationSasIssuer(
    BlobServiceClient blobs, UserDelegationKeyCache keys, IOptions<SasOptions> options, TimeProvider time)
    : BlobSasIssuer(blobs, options, time)
{
    /// <summary>The key for URLs expiring by <paramref name="expiresOn"/>, fetched now or already cached; signing them then reuses it.</summary>
    public override Task PrepareAsync(DateTimeOffset expiresOn, CancellationToken cancellationToken)
        => keys.GetKeyAsync(expiresOn, cancellationToken);

    protected override async Task<Uri> SignAsync(BlobClient blob, BlobSasBuilder sas, CancellationToken cancellationToken)
    {
        var key = await keys.GetKeyAsync(sas.ExpiresOn, cancellationToken);
        return blob.GenerateUserDelegationSasUri(sas, key);
    }
}
