using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.Ingest;
using Recorder.Core.Links;
using Recorder.Core.Recordings;
using Recorder.Core.Storage;

namespace Recorder.Core.Lifecycle;

/// <summary>What one lifecycle run did; <see cref="Skipped"/> when another instance was running.</summary>
public sealed record LifecycleSweepResult(
    bool Skipped,
    int MarkedForRetention,
    int AbandonedUploads,
    int Purged,
    int PurgeFailures,
    ReconciliationResult Reconciliation,
    int DerivedBlobsRemoved)
{
    public static readonly LifecycleSweepResult SkippedRun = new(true, 0, 0, 0, 0, ReconciliationResult.None, 0);
}

/// <summary>
/// The end of a recording's life (retention, reconciliation, abandoned uploads, finishing deletions, unserved derived
/// blobs), across users as recorder_maintenance. Every step works in bounded batches committed on their own, so a run
/// stopped anywhere leaves rows the next run finishes (docs/operations.md, "Lifecycle").
/// </summary>
public sealed class RecordingLifecycleSweeper(
    RecorderDataSources dataSources,
    BlobServiceClient blobs,
    UploadReconciler reconciler,
    DerivedBlobs derivedBlobs,
    RecordingBlobs recordingBlobs,
    IOptions<StorageOptions> storageOptions,
    IOptions<LifecycleOptions> options,
    ILogger<RecordingLifecycleSweeper> logger)
{
    public const string ActorId = "lifecycle";
    public const string AbandonedFailureCode = "upload_abandoned";

    /// <summary>The session advisory lock one run holds ("rec.life" in ASCII); visible in pg_locks.</summary>

    public const long LockKey = 0x7265632E6C696665;

    private static readonly JsonSerializerOptions DetailsJson = new(JsonSerializerDefaults.Web);

    // SKIP LOCKED passes over a recording that its owner is changing or deleting right now; the lock
    // re-checks status and the recording's hold on the row's latest version.
    private const string SelectExpiredSql = $"""
        SELECT c.id AS Id, c.userid AS UserId, c.rule AS Rule, c.retentiondays AS RetentionDays
        FROM ({RetentionCandidates.Sql}) c
        JOIN recordings r ON r.id = c.id
        WHERE r.status = 'completed' AND NOT recorder_recording_held(r)
        ORDER BY c.createdat, c.id
        FOR UPDATE OF r SKIP LOCKED
        """;

    // A hold committed since the candidates were chosen still wins. The status is stated although the candidates are locked
    // as completed: the statement is public (the sweeps benchmark's EXPLAIN) and takes no row it was not meant for.
    public const string MarkExpiredSql = """
        UPDATE recordings SET status = 'deleting'
        WHERE id = ANY(@Ids) AND status = 'completed' AND NOT recorder_recording_held(recordings)
        RETURNING id
        """;

    // One entry per recording of a batch, in one statement.
    private const string AuditEachSql = """
        INSERT INTO audit_log (actor_type, actor_id, user_id, action, recording_id, outcome, details)
        SELECT 'system', @ActorId, entry.user_id, @Action, entry.recording_id, 'success', entry.details
        FROM unnest(@UserIds::text[], @RecordingIds::bigint[], @Details::jsonb[]) AS entry(user_id, recording_id, details)
        """;

    // SKIP LOCKED passes over an upload that ingest is taking right now; the lock re-checks the status. A held
    // recording fails too (it reserves no quota then) but keeps its blob, which the reconciler leaves while the hold lasts.
    // A live upload is never abandoned here: its staged blocks are the live-upload recovery's to commit (LiveUploadRecovery).
    // Oldest first, in idx_recordings_abandoned_uploads' order (037): in id order the planner walked the primary key.
    public const string FailAbandonedSql = """
        WITH abandoned AS (
          SELECT id FROM recordings
          WHERE status = 'uploading' AND NOT live AND created_at < now() - @AbandonedUploadAfter
          ORDER BY created_at, id
          LIMIT @BatchSize
          FOR UPDATE SKIP LOCKED
        ), failed AS (
          UPDATE recordings AS r
          SET status = 'failed', failure_code = @FailureCode, failure_reason = @FailureReason
          FROM abandoned
          WHERE r.id = abandoned.id
          RETURNING r.id, r.user_id, r.blob_name, recorder_recording_held(r) AS held
        ), audited AS (
          INSERT INTO audit_log (actor_type, actor_id, user_id, action, recording_id, outcome, details)
          SELECT 'system', @ActorId, user_id, @Action, id, 'success',
                 jsonb_build_object('failureCode', @FailureCode::text, 'legalHold', held)
          FROM failed
        )
        SELECT id AS Id, blob_name AS BlobName, held AS Held FROM failed
        """;

    // By key, after the previous batch: a recording whose blobs could not be deleted is not retried in the same run.
    // A legal hold keeps what is still there of a recording marked 'deleting' (a delete whose storage call failed,
    // an erasure stopped by the hold) until it is lifted.
    private const string SelectDeletingSql = """
        SELECT id AS Id, blob_name AS BlobName, media_blob_name AS MediaBlobName, thumbnail_blob_name AS ThumbnailBlobName
        FROM recordings
        WHERE status = 'deleting' AND id > @AfterId AND NOT recorder_recording_held(recordings)
        ORDER BY id
        LIMIT @BatchSize
        FOR UPDATE SKIP LOCKED
        """;

    // Public for the sweeps benchmark's EXPLAIN.
    public const string PurgeSql = """
        WITH purged AS (
          DELETE FROM recordings WHERE id = ANY(@Ids) AND status = 'deleting'
          RETURNING id, user_id, blob_name
        ), audited AS (
          INSERT INTO audit_log (actor_type, actor_id, user_id, action, recording_id, outcome, details)
          SELECT 'system', @ActorId, user_id, @Action, id, 'success', jsonb_build_object('blobName', blob_name)
          FROM purged
        )
        SELECT count(*)::int FROM purged
        """;

    /// <summary>
    /// One run: retention, abandoned uploads, then the deletions. Skipped when another instance holds the
    /// lock; the lock lives on a connection of its own, so it is released when the run ends or dies.
    /// </summary>
    public async Task<LifecycleSweepResult> RunAsync(CancellationToken cancellationToken)
    {
        await using var runLock = await RunLock.TryTakeAsync(dataSources.Maintenance, LockKey, cancellationToken);
        if (runLock is null)
        {
            logger.LogInformation("Lifecycle sweep skipped: another instance is running it");
            return LifecycleSweepResult.SkippedRun;
        }
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        var marked = await MarkExpiredAsync(connection, cancellationToken);
        // Before abandoned uploads: an upload whose event was lost is ingested rather than failed.
        var reconciled = await ReconcileAsync(cancellationToken);
        var abandoned = await FailAbandonedUploadsAsync(connection, cancellationToken);
        var (purged, failures) = await FinishDeletionsAsync(connection, cancellationToken);
        var derivedRemoved = await derivedBlobs.SweepAsync(cancellationToken);
        if (marked + abandoned + purged + failures + reconciled.Ingested + reconciled.Quarantined + reconciled.BlobsRemoved
            + derivedRemoved > 0)
        {
            logger.LogInformation(
                "Lifecycle sweep: {Marked} recordings past retention, {Abandoned} abandoned uploads failed, " +
                "{Ingested} unannounced uploads ingested, {Quarantined} unknown blobs quarantined, " +
                "{BlobsRemoved} leftover upload blobs removed, {Purged} deletions finished, {Failures} left for the next run, " +
                "{DerivedRemoved} unserved derived blobs removed",
                marked, abandoned, reconciled.Ingested, reconciled.Quarantined, reconciled.BlobsRemoved, purged, failures, derivedRemoved);
        }
        return new LifecycleSweepResult(false, marked, abandoned, purged, failures, reconciled, derivedRemoved);
    }

    private async Task<ReconciliationResult> ReconcileAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await reconciler.ReconcileAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is RequestFailedException or AggregateException)
        {
            // Storage out of reach: the database-only steps still run; the next run lists again.
            logger.LogWarning(exception, "Reconciliation of the uploads container failed; the next lifecycle run retries");
            return ReconciliationResult.None;
        }
    }

    private async Task<int> MarkExpiredAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var total = 0;
        for (var batch = 1; ; batch++)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var expired = (await connection.QueryAsync<(long Id, string UserId, string Rule, int RetentionDays)>(new CommandDefinition(
                SelectExpiredSql, new { DefaultDays = settings.RetentionDays, Limit = (int?)settings.BatchSize }, transaction,
                cancellationToken: cancellationToken))).AsList();
            if (expired.Count > 0)
            {
                var markedIds = (await connection.QueryAsync<long>(new CommandDefinition(
                    MarkExpiredSql, new { Ids = expired.Select(row => row.Id).ToArray() }, transaction,
                    cancellationToken: cancellationToken))).ToHashSet();
                var marked = expired.Where(row => markedIds.Contains(row.Id)).ToList();
                // As the HTTP delete: from the moment it is gone, content and posts made from it lose its references.
                var released = await RecordingReferences.ReleaseAsync(connection, transaction,
                    marked.Select(row => (row.UserId, row.Id)).ToList(), cancellationToken);
                await connection.ExecuteAsync(new CommandDefinition(AuditEachSql, new
                {
                    ActorId,
                    Action = AuditActions.RecordingRetention,
                    UserIds = marked.Select(row => row.UserId).ToArray(),
                    RecordingIds = marked.Select(row => row.Id).ToArray(),
                    Details = marked.Select(row => JsonSerializer.Serialize(new
                    {
                        row.RetentionDays,
                        row.Rule,
                        released[row.Id].ContentIds,
                        released[row.Id].SocialPostIds,
                        released[row.Id].AiTaskIds,
                    }, DetailsJson)).ToArray(),
                }, transaction, cancellationToken: cancellationToken));
                total += marked.Count;
            }
            await transaction.CommitAsync(cancellationToken);
            if (expired.Count < settings.BatchSize || StopAfter(batch, "retention"))
            {
                return total;
            }
        }
    }

    private async Task<int> FailAbandonedUploadsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var parameters = new
        {
            settings.AbandonedUploadAfter,
            settings.BatchSize,
            FailureCode = AbandonedFailureCode,
            FailureReason = string.Create(CultureInfo.InvariantCulture,
                $"The upload was not finished within {settings.AbandonedUploadAfter.TotalHours:0.#} hours of its start."),
            ActorId,
            Action = AuditActions.RecordingAbandon,
        };
        var total = 0;
        for (var batch = 1; ; batch++)
        {
            // The row fails (committed) before its blob goes: ingest never accepts a blob that is being removed.
            var failed = (await connection.QueryAsync<(long Id, string BlobName, bool Held)>(
                new CommandDefinition(FailAbandonedSql, parameters, cancellationToken: cancellationToken))).AsList();
            foreach (var (id, blobName, _) in failed.Where(upload => !upload.Held))
            {
                try
                {
                    await DeleteBlobAsync(storageOptions.Value.UploadsContainer, blobName, cancellationToken);
                }
                catch (Exception exception) when (exception is RequestFailedException or AggregateException)
                {
                    // The failed row still names the blob; nothing is lost track of.
                    logger.LogWarning(exception, "Partial upload of abandoned recording {RecordingId} could not be deleted", id);
                }
            }
            total += failed.Count;
            if (failed.Count < settings.BatchSize || StopAfter(batch, "abandoned uploads"))
            {
                return total;
            }
        }
    }

    private async Task<(int Purged, int Failures)> FinishDeletionsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var (purged, failures) = (0, 0);
        var afterId = 0L;
        for (var batch = 1; ; batch++)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var deleting = (await connection.QueryAsync<RecordingBlobNames>(new CommandDefinition(
                SelectDeletingSql, new { AfterId = afterId, settings.BatchSize }, transaction,
                cancellationToken: cancellationToken))).AsList();
            var blobsGone = await recordingBlobs.RemoveAsync(deleting, cancellationToken);
            failures += deleting.Count - blobsGone.Count;
            if (blobsGone.Count > 0)
            {
                purged += await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                    PurgeSql, new { Ids = blobsGone.ToArray(), ActorId, Action = AuditActions.RecordingPurge }, transaction,
                    cancellationToken: cancellationToken));
            }
            await transaction.CommitAsync(cancellationToken);
            if (deleting.Count < settings.BatchSize || StopAfter(batch, "deletions"))
            {
                return (purged, failures);
            }
            afterId = deleting[^1].Id;
        }
    }

    private Task DeleteBlobAsync(string container, string blobName, CancellationToken cancellationToken)
        => blobs.GetBlobContainerClient(container).GetBlobClient(blobName)
            .DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);

    private bool StopAfter(int batch, string step)
    {
        if (batch < options.Value.MaxBatches)
        {
            return false;
        }
        logger.LogWarning("Lifecycle sweep stopped {Step} after {Batches} full batches; the rest waits for the next run", step, batch);
        return true;
    }

}
