using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using Recorder.Core.Data;

namespace Recorder.Core.Ingest;

/// <summary>
/// A worker's hold on the recording it ingests, renewed every third of its duration while the work goes on: a
/// live worker's lease never runs out, and a dead worker's ends one lease after it died, long before the queue
/// hands its message to another worker (the queue's own message lease is minutes longer).
/// </summary>
internal sealed class IngestLease : IAsyncDisposable
{
    private const string RenewSql = """
        UPDATE recordings SET ingest_lease_until = now() + @Duration
        WHERE id = @Id AND ingest_lease_id = @LeaseId AND status = 'processing'
        """;

    private readonly CancellationTokenSource stop = new();
    private readonly Task renewing;

    private IngestLease(RecorderDataSources dataSources, long id, Guid leaseId, TimeSpan duration, ILogger logger)
        => renewing = RenewAsync(dataSources, id, leaseId, duration, logger, stop.Token);

    public static IngestLease Hold(RecorderDataSources dataSources, long id, Guid leaseId, TimeSpan duration, ILogger logger)
        => new(dataSources, id, leaseId, duration, logger);

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await renewing;
        stop.Dispose();
    }

    private static async Task RenewAsync(
        RecorderDataSources dataSources, long id, Guid leaseId, TimeSpan duration, ILogger logger, CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(duration / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                try
                {
                    await using var connection = await dataSources.Maintenance.OpenConnectionAsync(stopping);
                    if (await connection.ExecuteAsync(
                        new CommandDefinition(RenewSql, new { Id = id, LeaseId = leaseId, Duration = duration },
                            cancellationToken: stopping)) == 0)
                    {
                        // Deleted, superseded or taken over: the worker's final write will find out and lose.
                        logger.LogInformation("Ingest lease of recording {RecordingId} is no longer held; renewal stops", id);
                        return;
                    }
                }
                catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
                {
                    // The database is out of reach: the lease may run out, and the message's retry takes over then.
                    logger.LogWarning(exception, "Ingest lease of recording {RecordingId} could not be renewed now", id);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The work is done.
        }
    }
}
