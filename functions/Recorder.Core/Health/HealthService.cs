using System.Diagnostics;
using System.Net.Sockets;
using Azure;
using Azure.Storage.Blobs;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Data;
using Recorder.Core.Storage;

namespace Recorder.Core.Health;

/// <summary>
/// Checks that PostgreSQL answers as the app's role and that the uploads container is reachable.
/// The body names the failing dependency and a coarse reason only; the details (hosts, messages)
/// go to the log, since the endpoint is anonymous.
/// </summary>
public sealed class HealthService(
    RecorderDataSources dataSources,
    HealthProbeStorage storage,
    IOptions<StorageOptions> storageOptions,
    ILogger<HealthService> logger)
{
    public const string Database = "database";
    public const string Storage = "storage";

    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    public async Task<HealthReport> CheckAsync(CancellationToken cancellationToken)
    {
        var database = CheckAsync(Database, async ct =>
        {
            await using var connection = await dataSources.App.OpenConnectionAsync(ct);
            await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: ct));
        }, cancellationToken);
        var blobs = CheckAsync(Storage, async ct =>
        {
            await storage.Client.GetBlobContainerClient(storageOptions.Value.UploadsContainer).GetPropertiesAsync(cancellationToken: ct);
        }, cancellationToken);

        var dependencies = new Dictionary<string, DependencyHealth>
        {
            [Database] = await database,
            [Storage] = await blobs,
        };
        var status = dependencies.Values.All(d => d.IsHealthy) ? DependencyHealth.Healthy : DependencyHealth.Unhealthy;
        return new HealthReport(status, dependencies);
    }

    private async Task<DependencyHealth> CheckAsync(string name, Func<CancellationToken, Task> probe, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        var stopwatch = Stopwatch.StartNew();
        try
        {
            await probe(timeout.Token);
            return new DependencyHealth(DependencyHealth.Healthy, null, stopwatch.ElapsedMilliseconds);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && IsDependencyFailure(exception))
        {
            logger.LogWarning(exception, "Health check of {Dependency} failed after {ElapsedMs} ms", name, stopwatch.ElapsedMilliseconds);
            return new DependencyHealth(DependencyHealth.Unhealthy, Describe(exception), stopwatch.ElapsedMilliseconds);
        }
    }

    private static bool IsDependencyFailure(Exception exception)
        => exception is NpgsqlException or RequestFailedException or OperationCanceledException or SocketException or TimeoutException
            or HttpRequestException;

    private static string Describe(Exception exception) => exception switch
    {
        OperationCanceledException or TimeoutException => "timed out",
        RequestFailedException { Status: 404 } => "container missing",
        RequestFailedException { Status: 401 or 403 } => "access denied",
        PostgresException => "query failed",
        _ => "unreachable",
    };
}

/// <summary>
/// A blob client for health probes only: no retries and a short network timeout, so a stopped
/// storage account is reported in seconds rather than after the SDK's retry schedule.
/// </summary>
public sealed class HealthProbeStorage(BlobServiceClient client)
{
    public BlobServiceClient Client { get; } = client;
}
