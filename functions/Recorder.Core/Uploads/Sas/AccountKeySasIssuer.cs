using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Microsoft.Extensions.Options;
using Recorder.Core.Storage;

namespace Recorder.Core.Uploads.Sas;

/// <summary>Service SAS signed with the account key of a connection string (Azurite locally).</summary>
public sealed class AccountKeySasIssuer : BlobSasIssuer
{
    public AccountKeySasIssuer(BlobServiceClient blobs, IOptions<SasOptions> options, TimeProvider time)
        : base(blobs, options, time)
    {
        if (!blobs.CanGenerateAccountSasUri)
        {
            throw new InvalidOperationException(
                $"Account-key SAS needs '{StorageOptions.ConnectionName}' to be a connection string with an AccountKey.");
        }
    }

    protected override Task<Uri> SignAsync(BlobClient blob, BlobSasBuilder sas, CancellationToken cancellationToken)
        => Task.FromResult(blob.GenerateSasUri(sas));
}
