using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Recorder.Core.Uploads.Sas;

namespace Recorder.Bench.Micro;

/// <summary>
/// Signing one upload URL, as UploadService does per request, with the two issuers the app chooses between:
/// account key (a connection string: Azurite, or a key in Key Vault) and user delegation (managed identity in Azure;
/// the key is cached for hours, so per URL this is the signing alone). Baseline: one HMAC-SHA256 of a
/// string-to-sign of the same size, the cryptographic floor of any SAS.
/// </summary>
[MemoryDiagnoser]
public class SasSigningBenchmarks
{
    // Azurite's published development account: no network is touched, signing is local.
    private const string ConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;";

    private const string BlobName = "user-1234/987654/0123456789abcdef0123456789abcdef.webm";

    private readonly byte[] key = Convert.FromBase64String("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==");
    private readonly byte[] stringToSign = Encoding.UTF8.GetBytes(new string('x', 320));
    private IBlobSasIssuer accountKey = null!;
    private IBlobSasIssuer userDelegation = null!;
    private DateTimeOffset expiresOn;

    [GlobalSetup]
    public void Setup()
    {
        var blobs = new BlobServiceClient(ConnectionString);
        var options = Options.Create(new SasOptions());
        accountKey = new AccountKeySasIssuer(blobs, options, TimeProvider.System);
        var delegationKey = BlobsModelFactory.UserDelegationKey(
            Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(6),
            "b", "2025-01-05", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        var cache = new UserDelegationKeyCache((_, _, _) => Task.FromResult(delegationKey), options, TimeProvider.System, NullLogger<UserDelegationKeyCache>.Instance);
        userDelegation = new UserDelegationSasIssuer(blobs, cache, options, TimeProvider.System);
        expiresOn = DateTimeOffset.UtcNow.AddMinutes(30);
    }

    [Benchmark(Baseline = true, Description = "HMAC-SHA256 of a 320-byte string-to-sign")]
    public byte[] Hmac() => HMACSHA256.HashData(key, stringToSign);

    [Benchmark(Description = "Upload URL, account key")]
    public Task<Uri> AccountKey() => accountKey.CreateUploadUriAsync("uploads", BlobName, expiresOn, CancellationToken.None);

    [Benchmark(Description = "Upload URL, user delegation (key cached)")]
    public Task<Uri> UserDelegation() => userDelegation.CreateUploadUriAsync("uploads", BlobName, expiresOn, CancellationToken.None);
}
