using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Api;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.Ingest;
using Recorder.Core.Lifecycle;

namespace Recorder.Core.LiveUploads;

/// <summary>What one recovery run did: live recordings committed by the server, failed for want of media, left for later.</summary>
public sealed record LiveRecoveryResult(int Recovered, int Failed, int Skipped);

/// <summary>
/// Commits what storage holds of live recordings whose browser has gone silent (part of the IngestRecoverySweep timer;
/// docs/ingest.md, "Live uploads"): the blocks in sequence order, within <see cref="LiveLimits"/>, with the recording's media
/// type. The Put Block List is an upload like the browser's own, so the usual BlobCreated event takes the recording on to
/// 'completed'. A silent live recording with nothing to commit fails as an abandoned upload.
/// </summary>
public sealed class LiveUploadRecovery(
    RecorderDataSources dataSources,
    LiveUploadService liveUploads,
    IOptions<LiveUploadOptions> options,
    ILogger<LiveUploadRecovery> logger)
{
    public const string ActorId = "live-upload-recovery";

    private static readonly JsonSerializerOptions RecordJson = new(JsonSerializerDefaults.Web);

    // Marked recordings (recovered_at) are taken again until their blob is committed: a commit that failed is retried.
    // They come after the newly silent, so a few whose BlobCreated event is late never hold up the others.
    private const string SilentSql = """
        SELECT id FROM recordings
        WHERE live AND status = 'uploading' AND (recovered_at IS NOT NULL OR live_contact_at < now() - @SilenceTimeout)
        ORDER BY recovered_at NULLS FIRST, live_contact_at
        LIMIT @SweepBatchSize
        """;

    // SKIP LOCKED passes over a recording whose browser is in contact right now; the lock re-checks the silence.
    private const string LockSilentSql = """
        SELECT id AS Id, user_id AS UserId, blob_name AS BlobName, mime_type AS MimeType
        FROM recordings
        WHERE id = @Id AND live AND status = 'uploading' AND (recovered_at IS NOT NULL OR live_contact_at < now() - @SilenceTimeout)
        FOR UPDATE SKIP LOCKED
        """;

    // From here on the browser's renewals are refused; what the browser last said, and its session, go into the record.
    private const string MarkRecoveredSql = """
        UPDATE recordings
        SET recovered_at = coalesce(recovered_at, now()), file_size = @Bytes,
            metadata = metadata || jsonb_build_object('recovery', @Record::jsonb || jsonb_build_object(
              'recoveredAt', coalesce(recovered_at, now()),
              'lastContactAt', live_contact_at,
              'reportedBytes', live_reported_bytes,
              'reportedSeconds', live_reported_seconds,
              'session', (SELECT jsonb_build_object('id', s.id, 'status', s.status, 'errorCode', s.error_code)
                          FROM recording_sessions s WHERE s.recording_id = recordings.id LIMIT 1)))
        WHERE id = @Id
        """;

    private const string FailSql = """
        UPDATE recordings SET status = 'failed', failure_code = @Code, failure_reason = @Reason
        WHERE id = @Id
        """;

    public async Task<LiveRecoveryResult> SweepAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        List<long> silent;
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        {
            silent = (await connection.QueryAsync<long>(new CommandDefinition(
                SilentSql, new { settings.SilenceTimeout, settings.SweepBatchSize }, cancellationToken: cancellationToken))).AsList();
        }
        var (recovered, failed, skipped) = (0, 0, 0);
        foreach (var id in silent)
        {
            Outcome outcome;
            try
            {
                outcome = await RecoverAsync(id, cancellationToken);
            }
            catch (Exception exception) when (DependencyOutage.Of(exception) == DependencyOutage.Storage)
            {
                // Nothing was decided without storage's answer; the next run (a minute later) starts over.
                logger.LogWarning(exception, "Live upload recovery stopped: storage cannot be reached");
                break;
            }
            switch (outcome)
            {
                case Outcome.Recovered: recovered++; break;
                case Outcome.Failed: failed++; break;
                default: skipped++; break;
            }
        }
        if (recovered + failed > 0)
        {
            logger.LogInformation("Live upload recovery: {Recovered} silent recordings committed, {Failed} failed with nothing to commit",
                recovered, failed);
        }
        return new LiveRecoveryResult(recovered, failed, skipped);
    }

    private enum Outcome
    {
        Recovered,
        Failed,
        Skipped,
    }

    /// <summary>
    /// Decides under the row lock and commits that decision (marked recovered, or failed) before storage is asked to commit
    /// the blocks: ingest then always finds the recording marked, and a commit that fails is retried by the next run.
    /// </summary>
    private async Task<Outcome> RecoverAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var recording = await connection.QuerySingleOrDefaultAsync<SilentRecording>(new CommandDefinition(
            LockSilentSql, new { Id = id, options.Value.SilenceTimeout }, transaction, cancellationToken: cancellationToken));
        if (recording is null)
        {
            return Outcome.Skipped;
        }
        var blob = liveUploads.UploadBlob(recording.BlobName);
        var staged = await StagedBlocks.ReadAsync(blob, cancellationToken);
        if (staged.Committed)
        {
            // Committed by the browser (or an earlier run): its BlobCreated event takes it from here.
            return Outcome.Skipped;
        }
        var limits = await liveUploads.LimitsAsync(connection, transaction, recording.UserId, id, cancellationToken);
        var plan = limits.Plan(staged);
        var record = new
        {
            blocks = plan.Blocks.Count,
            bytes = plan.Bytes,
            stagedBlocks = staged.Count,
            stagedBytes = staged.Bytes,
            plan.StoppedBy,
            plan.IgnoredBlocks,
        };
        if (plan.Blocks.Count == 0)
        {
            await FailAsync(connection, transaction, recording, staged, plan, record, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return Outcome.Failed;
        }

        await connection.ExecuteAsync(new CommandDefinition(MarkRecoveredSql,
            new { Id = id, plan.Bytes, Record = JsonSerializer.Serialize(record, RecordJson) }, transaction,
            cancellationToken: cancellationToken));
        await AuditLog.WriteSystemAsync(connection, transaction,
            new SystemAuditEntry(ActorId, recording.UserId, AuditActions.RecordingRecover, AuditOutcomes.Success, id, record),
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        try
        {
            await blob.CommitBlockListAsync(plan.Blocks.Select(block => block.Id), new CommitBlockListOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = recording.MimeType },
                // Never over a blob the browser committed meanwhile: its own upload stands.
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status == 409)
        {
            logger.LogInformation("Live recording {RecordingId} was committed by its browser while being recovered", id);
            return Outcome.Skipped;
        }
        catch (Exception exception) when (exception is RequestFailedException or AggregateException)
        {
            logger.LogWarning(exception, "Blocks of silent live recording {RecordingId} could not be committed; the next run retries", id);
            return Outcome.Skipped;
        }
        logger.LogInformation(
            "Silent live recording {RecordingId} committed from {Blocks} staged blocks ({Bytes} bytes, stopped by {StoppedBy})",
            id, plan.Blocks.Count, plan.Bytes, plan.StoppedBy);
        return Outcome.Recovered;
    }

    private static async Task FailAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, SilentRecording recording,
        StagedBlocks staged, LivePlan plan, object record, CancellationToken cancellationToken)
    {
        var (code, reason) = staged.Count == 0
            ? (RecordingLifecycleSweeper.AbandonedFailureCode, "The browser went silent before any of the recording reached storage.")
            : plan.StoppedBy == LiveStops.Quota
                ? (IngestFailure.QuotaExceeded, "What the browser uploaded of the recording does not fit in your storage.")
                : (RecordingLifecycleSweeper.AbandonedFailureCode,
                    "The browser went silent, and what it uploaded cannot be played from its start.");
        await connection.ExecuteAsync(new CommandDefinition(FailSql, new { recording.Id, Code = code, Reason = reason }, transaction,
            cancellationToken: cancellationToken));
        await AuditLog.WriteSystemAsync(connection, transaction, new SystemAuditEntry(ActorId, recording.UserId,
            AuditActions.RecordingAbandon, AuditOutcomes.Success, recording.Id, new { failureCode = code, record }), cancellationToken);
    }

    private sealed record SilentRecording(long Id, string UserId, string BlobName, string MimeType);
}
