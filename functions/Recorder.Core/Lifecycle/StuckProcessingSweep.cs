using System.Globalization;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Audit;
using Recorder.Core.Ingest;

namespace Recorder.Core.Lifecycle;

/// <summary>What the stuck-processing step did.</summary>
public sealed record StuckProcessingResult(int Requeued, int Failed)
{
    public static readonly StuckProcessingResult None = new(0, 0);
}

/// <summary>
/// Re-queues recordings left 'processing' (their worker's lease ran out, or none took them up within
/// <see cref="LifecycleOptions.StuckProcessingAfter"/>) with the webhook's own message, and fails them with
/// <see cref="ProcessingTimeoutCode"/> after too many; safe beside a live worker (docs/operations.md, "Ingest recovery").
/// </summary>
public sealed class StuckProcessingSweep(IngestOutbox outbox, IOptions<LifecycleOptions> options, ILogger<StuckProcessingSweep> logger)
{
    public const string ProcessingTimeoutCode = "processing_timeout";

    // idx_recordings_in_flight (status, updated_at) WHERE status IN (…) serves status = 'processing'.
    private const string SelectStuckSql = """
        SELECT id AS Id, user_id AS UserId, blob_etag AS ETag, blob_sequencer AS Sequencer, processing_requeues AS Requeues
        FROM recordings
        WHERE status = 'processing' AND id > @AfterId
          AND (ingest_lease_until < now()
               OR ingest_lease_id IS NULL AND processing_started_at < now() - @StuckProcessingAfter)
        ORDER BY id
        LIMIT @BatchSize
        FOR UPDATE SKIP LOCKED
        """;

    // The clock restarts and the dead worker's lease goes, so the next re-queue waits a whole period for the worker.
    private const string RequeueSql = """
        UPDATE recordings SET processing_requeues = processing_requeues + 1, processing_started_at = now(),
            ingest_lease_id = NULL, ingest_lease_until = NULL
        WHERE id = @Id AND status = 'processing'
        """;

    private const string FailSql = """
        UPDATE recordings
        SET status = 'failed', failure_code = @Code, failure_reason = @Reason, ingest_lease_id = NULL, ingest_lease_until = NULL
        WHERE id = @Id AND status = 'processing'
        """;

    public async Task<StuckProcessingResult> SweepAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var reason = string.Create(CultureInfo.InvariantCulture,
            $"The recording was still being processed after {settings.MaxProcessingRequeues + 1} attempts of " +
            $"{settings.StuckProcessingAfter.TotalMinutes:0} minutes.");
        var (requeued, failed) = (0, 0);
        var afterId = 0L;
        for (var batch = 1; ; batch++)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var stuck = (await connection.QueryAsync<StuckRow>(new CommandDefinition(
                SelectStuckSql, new { AfterId = afterId, settings.StuckProcessingAfter, settings.BatchSize }, transaction,
                cancellationToken: cancellationToken))).AsList();
            var messages = new List<OutboxEntry>();
            foreach (var row in stuck)
            {
                if (row.Requeues < settings.MaxProcessingRequeues && row.ETag is { } eTag)
                {
                    await connection.ExecuteAsync(
                        new CommandDefinition(RequeueSql, new { row.Id }, transaction, cancellationToken: cancellationToken));
                    await AuditAsync(connection, transaction, row, AuditActions.RecordingRequeue, AuditOutcomes.Success,
                        new { attempt = row.Requeues + 1 }, cancellationToken);
                    messages.Add(
                        await IngestOutbox.AddAsync(connection, transaction,
                            new IngestMessage(IngestMessage.IngestKind, row.Id, null, eTag, row.Sequencer), cancellationToken));
                    requeued++;
                }
                else
                {
                    await connection.ExecuteAsync(
                        new CommandDefinition(FailSql, new { row.Id, Code = ProcessingTimeoutCode, Reason = reason }, transaction,
                            cancellationToken: cancellationToken));
                    await AuditAsync(connection, transaction, row, AuditActions.RecordingIngest, AuditOutcomes.Failed,
                        new { code = ProcessingTimeoutCode, requeues = row.Requeues }, cancellationToken);
                    logger.LogWarning("Recording {RecordingId} failed: still processing after {Requeues} re-queues", row.Id, row.Requeues);
                    failed++;
                }
            }
            await transaction.CommitAsync(cancellationToken);
            foreach (var message in messages)
            {
                await outbox.SendAsync(message, cancellationToken);
            }
            if (stuck.Count < settings.BatchSize || batch >= settings.MaxBatches)
            {
                return new StuckProcessingResult(requeued, failed);
            }
            afterId = stuck[^1].Id;
        }
    }

    private static Task AuditAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StuckRow row, string action, string outcome,
        object details, CancellationToken cancellationToken)
        => AuditLog.WriteSystemAsync(connection, transaction,
            new SystemAuditEntry(RecordingLifecycleSweeper.ActorId, row.UserId, action, outcome, row.Id, details), cancellationToken);

    private sealed record StuckRow(long Id, string UserId, string? ETag, string? Sequencer, int Requeues);
}
