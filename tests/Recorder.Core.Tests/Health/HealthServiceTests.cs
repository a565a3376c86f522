using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Data;
using Recorder.Core.Health;
using Recorder.Core.Storage;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Health;

public sealed class HealthServiceTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    [Fact]
    public async Task Reports_healthy_when_postgres_and_storage_answer()
    {
        var report = await CheckAsync(database.Options, TestStorage.CreateClient(), await TestStorage.CreateContainersAsync());

        Assert.True(report.IsHealthy);
        Assert.Equal([DependencyHealth.Healthy, DependencyHealth.Healthy], [report.Dependencies[HealthService.Database].Status, report.Dependencies[HealthService.Storage].Status]);
    }

    [Fact]
    public async Task Names_a_stopped_database()
    {
        var stopped = new DatabaseOptions
        {
            AppConnectionString = new NpgsqlConnectionStringBuilder(database.AppConnectionString) { Port = ClosedPort.Next() }.ConnectionString,
            MaintenanceConnectionString = database.MaintenanceConnectionString,
        };

        var report = await CheckAsync(stopped, TestStorage.CreateClient(), await TestStorage.CreateContainersAsync());

        Assert.False(report.IsHealthy);
        Assert.Equal(new DependencyHealth(DependencyHealth.Unhealthy, "unreachable", 0), report.Dependencies[HealthService.Database] with { DurationMs = 0 });
        Assert.True(report.Dependencies[HealthService.Storage].IsHealthy);
    }

    [Fact]
    public async Task Names_stopped_storage_within_seconds()
    {
        var stoppedStorage = new BlobServiceClient(TestStorage.StoppedConnectionString(), new BlobClientOptions { Retry = { MaxRetries = 0 } });

        var report = await CheckAsync(database.Options, stoppedStorage, new StorageOptions());

        Assert.False(report.IsHealthy);
        Assert.Equal("unreachable", report.Dependencies[HealthService.Storage].Reason);
        Assert.True(report.Dependencies[HealthService.Database].IsHealthy);
    }

    [Fact]
    public async Task Says_when_the_uploads_container_is_missing()
    {
        var report = await CheckAsync(database.Options, TestStorage.CreateClient(), new StorageOptions { UploadsContainer = "never-created-" + Guid.NewGuid().ToString("N")[..8] });

        Assert.Equal("container missing", report.Dependencies[HealthService.Storage].Reason);
    }

    private static async Task<HealthReport> CheckAsync(DatabaseOptions databaseOptions, BlobServiceClient blobs, StorageOptions storageOptions)
    {
        await using var dataSources = new RecorderDataSources(Options.Create(databaseOptions));
        var service = new HealthService(dataSources, new HealthProbeStorage(blobs), Options.Create(storageOptions), NullLogger<HealthService>.Instance);
        return await service.CheckAsync(CancellationToken.None);
    }
}
