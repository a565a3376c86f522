using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Storage;
using Recorder.Core.Uploads.Sas;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Uploads.Sas;

public sealed class SasIssuerRegistrationTests
{
    [Fact]
    public void A_connection_string_with_an_account_key_signs_with_the_key()
    {
        var configuration = Configuration(new() { [StorageOptions.ConnectionName] = TestEnvironment.StorageConnectionString });

        using var services = Services(configuration, RecordingsStorageClient.Create(configuration));

        Assert.IsType<AccountKeySasIssuer>(services.GetRequiredService<IBlobSasIssuer>());
    }

    [Fact]
    public void Identity_based_storage_signs_with_user_delegation_keys()
    {
        var configuration = Configuration(new()
        {
            [$"{StorageOptions.ConnectionName}:blobServiceUri"] = FakeBlobService.Endpoint.ToString(),
            [$"{StorageOptions.ConnectionName}:credential"] = "managedidentity",
            [$"{StorageOptions.ConnectionName}:clientId"] = "55555555-5555-5555-5555-555555555555",
        });

        using var services = Services(configuration, RecordingsStorageClient.Create(configuration));

        Assert.IsType<UserDelegationSasIssuer>(services.GetRequiredService<IBlobSasIssuer>());
    }

    [Fact]
    public void A_connection_string_without_an_account_key_is_refused_naming_the_setting()
    {
        var configuration = Configuration(new()
        {
            [StorageOptions.ConnectionName] = $"BlobEndpoint={FakeBlobService.Endpoint};SharedAccessSignature=sv=2025-11-05&ss=b&srt=o&sp=r&se=2099-01-01T00:00:00Z&sig=c2lnbmF0dXJl",
        });

        using var services = Services(configuration, RecordingsStorageClient.Create(configuration));

        var refused = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IBlobSasIssuer>());
        Assert.Contains($"'{StorageOptions.ConnectionName}'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_delegation_urls_carry_the_key_and_the_narrowest_permissions()
    {
        var storage = new FakeBlobService();
        var clock = new TestClock();
        using var services = IdentityBasedServices(storage, clock);
        var issuer = services.GetRequiredService<IBlobSasIssuer>();

        var upload = SasAssert.Query(await issuer.CreateUploadUriAsync("recordings-uploads", "users/7/a.webm", clock.GetUtcNow().AddMinutes(30), CancellationToken.None));
        var read = SasAssert.Query(await issuer.CreateReadUriAsync("recordings-processed", "users/7/a.webm", clock.GetUtcNow().AddMinutes(15), CancellationToken.None));

        Assert.Equal([(clock.GetUtcNow().AddMinutes(-5), clock.GetUtcNow() + UserDelegationKeyCache.KeyLifetime)], storage.KeyRequests);
        foreach (var query in new[] { upload, read })
        {
            Assert.Equal((FakeBlobService.ObjectId, FakeBlobService.TenantId, "b"), (query["skoid"], query["sktid"], query["sks"]));
            Assert.Equal(clock.GetUtcNow() + UserDelegationKeyCache.KeyLifetime, SasAssert.Time(query, "ske"));
            Assert.Equal(("b", "https"), (query["sr"], query["spr"]));
            Assert.Equal(clock.GetUtcNow().AddMinutes(-5), SasAssert.Time(query, "st"));
            Assert.False(string.IsNullOrEmpty(query["sig"]));
        }
        Assert.Equal(("w", clock.GetUtcNow().AddMinutes(30)), (upload["sp"], SasAssert.Time(upload, "se")));
        Assert.Equal(("r", clock.GetUtcNow().AddMinutes(15)), (read["sp"], SasAssert.Time(read, "se")));
    }

    private static ServiceProvider IdentityBasedServices(FakeBlobService storage, TestClock clock)
    {
        var configuration = Configuration(new() { [$"{StorageOptions.ConnectionName}:blobServiceUri"] = FakeBlobService.Endpoint.ToString() });
        return Services(configuration, storage.Client(), clock);
    }

    private static ServiceProvider Services(IConfiguration configuration, BlobServiceClient blobs, TimeProvider? clock = null)
    {
        var services = new ServiceCollection().AddLogging().AddSingleton(configuration).AddSingleton(blobs);
        if (clock is not null)
        {
            services.AddSingleton(clock);
        }
        return services.AddBlobSasIssuer().BuildServiceProvider();
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings)
        => new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
}
