using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Data;
using Recorder.Core.Health;
using Recorder.Core.Migrations;
using Recorder.Core.Partitions;
using Recorder.Core.Storage;

namespace Recorder.Core;

public static class ServiceCollectionExtensions
{
    /// <summary>Everything the Functions app (and the dev host, which runs the same functions) needs.</summary>
    public static IServiceCollection AddRecorderCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName);
        services.AddOptions<PartitionOptions>().BindConfiguration(PartitionOptions.SectionName);

        services.AddSingleton<RecorderDataSources>();
        services.AddSingleton(_ => RecordingsStorageClient.Create(configuration));
        services.AddSingleton(_ =>
        {
            var options = new BlobClientOptions { Retry = { MaxRetries = 0, NetworkTimeout = TimeSpan.FromSeconds(5) } };
            return new HealthProbeStorage(RecordingsStorageClient.Create(configuration, options));
        });

        services.AddSingleton<HealthService>();
        services.AddSingleton<MigrationJournal>();
        services.AddSingleton<PartitionMaintenanceService>();
        return services;
    }
}
