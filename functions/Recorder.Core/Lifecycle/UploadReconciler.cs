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
using Recorder.Core.Storage;

namespace Recorder.Core.Lifecycle;

/// <summary>
/// What one reconciliation pass did: blobs listed, sent to ingest, queued for quarantine, leftovers removed; <see cref="Completed"/> when
/// it reached the end of the container.
/// </summary>
public sealed record ReconciliationResult(int Listed, int Ingested, int Quarantined, int BlobsRemoved, bool Completed)
{
    public static readonly ReconciliationResult None = new(0, 0, 0, 0, false);
}

/// <summary>
/// Catches what a dropped or dead-lettered BlobCreated event left behind: old upload blobs are ingested through the
/// webhook's own path, quarantined, deleted once their recording no longer needs them, or (a failed recording's) handed
/// to the derived-blob ledger for their grace period; a bounded number of pages per run from a kept cursor
/// (docs/operations.md, "Lifecycle", step 2).
/// </summary>
public sealed class UploadReconciler(
    RecorderDataSources dataSources,
    BlobServiceClient blobs,
    BlobEventAcceptor acceptor,
    IOptions<IngestOptions> ingestOptions,
    IOptions<StorageOptions> storageOptions,
    IOptions<LifecycleOptions> options,
    TimeProvider time,
    ILogger<UploadReconciler> logger)
{
    public const string CursorName = "uploads-reconciliation";

    /// <summary>Below every Event Grid sequencer, so a real event for the same blob arriving later is still taken.</summary>
    public const string Sequencer = "0";

    /// <summary>Failure codes whose blob ingest removes (docs/ingest.md), plus abandoned uploads.</summary>
    private static readonly string[] BlobRemovedOnFailure = [.. IngestFailure.CodesThatRemoveTheBlob,
        RecordingLifecycleSweeper.AbandonedFailureCode];

    private const string ReadCursorSql = "SELECT position FROM lifecycle_cursors WHERE name = @Name";

    private const string SaveCursorSql = """
        INSERT INTO lifecycle_cursors (name, position) VALUES (@Name, @Position)
        ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = now()
        """;

    // recordings.blob_name is UNIQUE: one index probe per name.
    private const string KnownSql = """
        SELECT blob_name AS BlobName, id AS Id, user_id AS UserId, status AS Status, failure_code AS FailureCode,
               media_blob_name IS NOT NULL AS ServedElsewhere
        FROM recordings WHERE blob_name = ANY(@Names)
        """;

    // The row lock holds the recording as it was judged while its blob goes; a legal hold keeps the blob.
    private const string LockLeftoverSql = """
        SELECT user_id FROM recordings
        WHERE id = @Id AND (status = 'failed' AND failure_code = ANY(@Codes) OR status = 'completed' AND media_blob_name IS NOT NULL)
          AND NOT recorder_recording_held(recordings)
        FOR UPDATE
        """;

    public async Task<ReconciliationResult> ReconcileAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var container = blobs.GetBlobContainerClient(storageOptions.Value.UploadsContainer);
        var cutoff = time.GetUtcNow() - settings.ReconcileAfter;
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        var position = await connection.ExecuteScalarAsync<string?>(
            new CommandDefinition(ReadCursorSql, new { Name = CursorName }, cancellationToken: cancellationToken));

        var (listed, ingested, quarantined, removed, pages) = (0, 0, 0, 0, 0);
        var completed = false;
        await foreach (var page in container.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.CopyStatus }, cancellationToken)
            .AsPages(string.IsNullOrEmpty(position) ? null : position, settings.ReconcilePageSize))
        {
            listed += page.Values.Count;
            var settled = page.Values.Where(blob => blob.Properties.LastModified is { } modified && modified < cutoff).ToList();
            if (settled.Count > 0)
            {
                var known = (await connection.QueryAsync<KnownRecording>(new CommandDefinition(
                    KnownSql, new { Names = settled.Select(blob => blob.Name).ToArray() },
                    cancellationToken: cancellationToken))).ToDictionary(row => row.BlobName, StringComparer.Ordinal);
                foreach (var blob in settled)
                {
                    if (!known.TryGetValue(blob.Name, out var recording) || recording.Status == "uploading")
                    {
                        switch (await acceptor.AcceptAsync(ToEvent(container.Name, blob), cancellationToken))
                        {
                            case AcceptOutcome.Queued: ingested++; break;
                            case AcceptOutcome.Unknown: quarantined++; break;
                        }
                    }
                    else if (recording.Status == "failed" && BlobRemovedOnFailure.Contains(recording.FailureCode)
                             || recording.Status == "completed" && recording.ServedElsewhere)
                    {
                        removed += await RemoveLeftoverAsync(connection, container, blob, recording.Id, cancellationToken) ? 1 : 0;
                    }
                    else if (recording.Status == "failed")
                    {
                        // Kept by a failure the ledger does not know of yet (a poison message, a timeout, one before migration
                        // 031): its grace period starts now. Once recorded, a later pass changes nothing.
                        await DerivedBlobs.KeepFailedUploadAsync(connection, null, recording.Id, blob.Name,
                            ingestOptions.Value.FailedUploadGracePeriod, cancellationToken);
                    }
                }
            }
            pages++;
            position = string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken;
            await connection.ExecuteAsync(
                new CommandDefinition(SaveCursorSql, new { Name = CursorName, Position = position }, cancellationToken: cancellationToken));
            completed = position is null;
            if (completed || pages >= settings.ReconcileMaxPages)
            {
                break;
            }
        }
        if (listed == 0)
        {
            // An empty container (or a token past its end): start over next time.
            await connection.ExecuteAsync(
                new CommandDefinition(SaveCursorSql, new { Name = CursorName, Position = (string?)null },
                    cancellationToken: cancellationToken));
            completed = true;
        }
        return new ReconciliationResult(listed, ingested, quarantined, removed, completed);
    }

    /// <summary>
    /// Deletes an upload blob its recording no longer needs, under the row lock (so the row cannot change meanwhile), and audits it.
    /// </summary>
    private async Task<bool> RemoveLeftoverAsync(
        NpgsqlConnection connection, BlobContainerClient container, BlobItem blob, long recordingId, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var userId = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            LockLeftoverSql, new { Id = recordingId, Codes = BlobRemovedOnFailure }, transaction, cancellationToken: cancellationToken));
        if (userId is null)
        {
            return false;
        }
        try
        {
            await container.GetBlobClient(blob.Name)
                .DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        }
        catch (Exception exception) when (exception is RequestFailedException or AggregateException)
        {
            logger.LogWarning(exception,
                "Leftover upload blob of recording {RecordingId} could not be deleted; a later reconciliation retries", recordingId);
            return false;
        }
        await AuditLog.WriteSystemAsync(connection, transaction, new SystemAuditEntry(
            RecordingLifecycleSweeper.ActorId, userId, AuditActions.RecordingBlobCleanup, AuditOutcomes.Success, recordingId,
            new { blobName = blob.Name }), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private BlobCreatedEvent ToEvent(string container, BlobItem blob) => new(
        $"reconciliation:{blob.Name}",
        ingestOptions.Value.StorageAccountTopic,
        container,
        blob.Name,
        // Storage's record of a copy is what Event Grid would have reported as CopyBlob.
        blob.Properties.CopyId is null && blob.Properties.CopySource is null ? "PutBlockList" : "CopyBlob",
        // The form the webhook passes on ("0x…" in quotes), which the worker's If-Match uses.
        $"\"{blob.Properties.ETag?.ToString().Trim('"')}\"",
        Sequencer,
        blob.Properties.ContentLength ?? 0,
        blob.Properties.ContentType);

    private sealed record KnownRecording(string BlobName, long Id, string UserId, string Status, string? FailureCode, bool ServedElsewhere);
}
