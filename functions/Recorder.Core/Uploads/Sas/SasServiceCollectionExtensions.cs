using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Storage;

namespace Recorder.Core.Uploads.Sas;

public static class SasServiceCollectionExtensions
{
    /// <summary>
    /// <see cref="IBlobSasIssuer"/> for the registered <see cref="BlobServiceClient"/>: account-key SAS when
    /// it holds an account key (a connection string), user delegation SAS when it is identity-based.
    /// </summary>
    public static IServiceCollection AddBlobSasIssuer(this IServiceCollection services)
    {
        services.AddOptions<SasOptions>().BindConfiguration(SasOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(CreateIssuer);
        return services;
    }

    private static IBlobSasIssuer CreateIssuer(IServiceProvider services)
    {
        var blobs = services.GetRequiredService<BlobServiceClient>();
        var options = services.GetRequiredService<IOptions<SasOptions>>();
        var time = services.GetRequiredService<TimeProvider>();
        if (blobs.CanGenerateAccountSasUri)
        {
            return new AccountKeySasIssuer(blobs, options, time);
        }

        // RecordingsStorageClient uses a TokenCredential exactly when no connection string is set; a
        // connection string without AccountKey (a SAS, or none) can sign neither kind.
        var connectionName = StorageOptions.ConnectionName;
        if (!string.IsNullOrWhiteSpace(services.GetRequiredService<IConfiguration>()[connectionName]))
        {
            throw new InvalidOperationException(
                $"Upload and read URLs cannot be signed: the connection string in '{connectionName}' has no AccountKey. " +
                $"Give it one, or use identity-based '{connectionName}__blobServiceUri' " +
                $"with '{connectionName}__credential' = managedidentity " +
                "and an identity allowed to get user delegation keys.");
        }

        var keys = new UserDelegationKeyCache(
            async (startsOn, expiresOn, ct) => (await blobs.GetUserDelegationKeyAsync(startsOn, expiresOn, ct)).Value,
            options,
            time,
            services.GetRequiredService<ILogger<UserDelegationKeyCache>>());
        return new UserDelegationSasIssuer(blobs, keys, options, time);
    }
}
