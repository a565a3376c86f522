using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.Storage;

namespace Recorder.Core.Privacy;

/// <summary>What one privacy sweep did; <see cref="Skipped"/> when another instance was running.</summary>
public sealed record PrivacySweepResult(bool Skipped, int ExportsExpired, int ExportsFailed, int ErasuresContinued)
{
    public static readonly PrivacySweepResult SkippedRun = new(true, 0, 0, 0);
}

/// <summary>
/// The privacy timer, as recorder_maintenance: expired exports lose their zip, then their row (audited as the
/// system); exports never built within <see cref="PrivacyOptions.ExportBuildTimeout"/> fail; open erasures are
/// carried on (an interrupted one resumed, a finishing one swept again, then completed).
/// </summary>
public sealed class PrivacySweeper(
    RecorderDataSources dataSources,
    BlobServiceClient blobs,
    ErasureService erasures,
    IOptions<StorageOptions> storageOptions,
    IOptions<PrivacyOptions> options,
    ILogger<PrivacySweeper> logger)
{
    /// <summary>The session advisory lock one run holds ("rec.priv" in ASCII).</summary>
    public const long LockKey = 0x7265632E70726976;

    private const string SelectExpiredSql = """
        SELECT id AS Id, blob_name AS BlobName FROM privacy_exports
        WHERE expires_at < now() ORDER BY expires_at, id LIMIT @BatchSize
        FOR UPDATE SKIP LOCKED
        """;

    private const string DeleteExpiredSql = """
        WITH expired AS (
          DELETE FROM privacy_exports WHERE id = ANY(@Ids) RETURNING id, user_id, status
        )
        INSERT INTO audit_log (actor_type, actor_id, user_id, action, outcome, details)
        SELECT 'system', @ActorId, user_id, @Action, 'success', jsonb_build_object('exportId', id, 'status', status)
        FROM expired
        """;

    private const string FailStaleSql = """
        UPDATE privacy_exports SET status = 'failed', lease_until = NULL,
          failure_reason = 'The export could not be built; ask for a new one.'
        WHERE status IN ('pending', 'building') AND requested_at < now() - @ExportBuildTimeout
          AND (lease_until IS NULL OR lease_until < now())
        """;

    public async Task<PrivacySweepResult> RunAsync(CancellationToken cancellationToken)
    {
        await using var runLock = await RunLock.TryTakeAsync(dataSources.Maintenance, LockKey, cancellationToken);
        if (runLock is null)
        {
            logger.LogInformation("Privacy sweep skipped: another instance is running it");
            return PrivacySweepResult.SkippedRun;
        }
        int failed;
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        {
            failed = await connection.ExecuteAsync(
                new CommandDefinition(FailStaleSql, new { options.Value.ExportBuildTimeout }, cancellationToken: cancellationToken));
        }
        var expired = await ExpireExportsAsync(cancellationToken);
        var continued = await erasures.ContinueOpenAsync(cancellationToken);
        if (expired + failed + continued > 0)
        {
            logger.LogInformation("Privacy sweep: {Expired} exports expired, {Failed} exports failed, {Continued} erasures carried on",
                expired, failed, continued);
        }
        return new PrivacySweepResult(false, expired, failed, continued);
    }

    /// <summary>Batches of expired exports, each in one transaction holding their rows: the zip goes first, then the row.</summary>
    private async Task<int> ExpireExportsAsync(CancellationToken cancellationToken)
    {
        var container = blobs.GetBlobContainerClient(storageOptions.Value.ExportsContainer);
        var total = 0;
        while (true)
        {
            await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var expired = (await connection.QueryAsync<(long Id, string? BlobName)>(new CommandDefinition(
                SelectExpiredSql, new { options.Value.BatchSize }, transaction, cancellationToken: cancellationToken))).AsList();
            var gone = new List<long>(expired.Count);
            foreach (var (id, blobName) in expired)
            {
                try
                {
                    if (blobName is not null)
                    {
                        await container.GetBlobClient(blobName)
                            .DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
                    }
                    gone.Add(id);
                }
                catch (Exception exception) when (exception is RequestFailedException or AggregateException)
                {
                    // The row stays and still names the zip; the next run retries.
                    logger.LogWarning(exception, "Expired export {ExportId} could not be deleted now; the next privacy sweep retries", id);
                }
            }
            if (gone.Count > 0)
            {
                await connection.ExecuteAsync(
                    new CommandDefinition(DeleteExpiredSql,
                        new { Ids = gone.ToArray(), ActorId = ErasureService.ActorId, Action = AuditActions.PrivacyExportExpire },
                        transaction, cancellationToken: cancellationToken));
            }
            await transaction.CommitAsync(cancellationToken);
            total += gone.Count;
            if (expired.Count < options.Value.BatchSize || gone.Count == 0)
            {
                return total;
            }
        }
    }
}
