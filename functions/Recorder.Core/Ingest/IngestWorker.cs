using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.Media.Webm;
using Recorder.Core.Recordings;
using Recorder.Core.Storage;
using Recorder.Core.Uploads.Sas;

namespace Recorder.Core.Ingest;

/// <summary>
/// The queue worker: takes an ingest message, claims the recording's lease, has the media inspected and
/// then completes or fails the recording in one write that states what it expects (still 'processing',
/// under this lease, this blob version). A worker that loses that race removes what it wrote, so a delete
/// or an erasure always wins. The other message kinds go to their own workers.
/// </summary>
public sealed class IngestWorker(
    RecorderDataSources dataSources,
    BlobServiceClient blobs,
    IBlobSasIssuer sas,
    MediaInspector inspector,
    IngestOutbox outbox,
    IngestQueue queue,
    StorageQuota quota,
    DerivedBlobs derivedBlobs,
    SeekableCopyWorker seekableCopies,
    UploadQuarantine quarantine,
    IOptions<IngestOptions> ingestOptions,
    IOptions<StorageOptions> storageOptions,
    TimeProvider time,
    ILogger<IngestWorker> logger)
{
    private static readonly JsonSerializerOptions MetadataJson = new(JsonSerializerDefaults.Web);

    // A worker takes the recording only while it still awaits this very blob version and nobody else holds it.
    private const string ClaimSql = """
        UPDATE recordings
        SET ingest_lease_id = @LeaseId, ingest_lease_until = now() + @LeaseDuration, ingest_attempts = ingest_attempts + 1
        WHERE id = @Id AND status = 'processing' AND blob_etag = @ETag
          AND (ingest_lease_until IS NULL OR ingest_lease_until < now())
        RETURNING id AS Id, user_id AS UserId, blob_name AS BlobName, mime_type AS MimeType, recording_type AS RecordingType,
                  recovered_at IS NOT NULL AS Recovered
        """;

    // Why a claim found nothing: another attempt's live lease (how long it still runs), else done, superseded or gone.
    private const string LeasedElsewhereSql = """
        SELECT ingest_lease_until - now() FROM recordings
        WHERE id = @Id AND status = 'processing' AND blob_etag = @ETag AND ingest_lease_until > now()
        """;

    // Ends the lease now rather than clearing it: another worker may claim at once, and when the queue cannot hand the
    // message out again (storage down) the recovery sweep sees a lease that ran out and re-queues it.
    private const string ReleaseSql = "UPDATE recordings SET ingest_lease_until = now() WHERE id = @Id AND ingest_lease_id = @LeaseId";

    private const string CompleteSql = """
        UPDATE recordings
        SET status = 'completed', duration = @Duration, file_size = @FileSize, mime_type = @MimeType,
            metadata = metadata || jsonb_build_object('media', @Media::jsonb),
            media_blob_name = @MediaBlobName, thumbnail_blob_name = @ThumbnailBlobName, completed_at = now(),
            failure_code = NULL, failure_reason = NULL, ingest_lease_id = NULL, ingest_lease_until = NULL
        WHERE id = @Id AND status = 'processing' AND ingest_lease_id = @LeaseId AND blob_etag = @ETag
        """;

    private const string FailSql = """
        UPDATE recordings
        SET status = 'failed', failure_code = @Code, failure_reason = @Reason,
            metadata = CASE WHEN @Detail::text IS NULL THEN metadata
                            ELSE metadata || jsonb_build_object('ingestError', @Detail::text) END,
            ingest_lease_id = NULL, ingest_lease_until = NULL
        WHERE id = @Id AND status = 'processing' AND ingest_lease_id = @LeaseId
        """;

    // For poison messages: whatever the lease, a recording still processing this blob version fails.
    private const string FailProcessingSql = """
        UPDATE recordings
        SET status = 'failed', failure_code = @Code, failure_reason = @Reason,
            ingest_lease_id = NULL, ingest_lease_until = NULL
        WHERE id = @Id AND status = 'processing' AND blob_etag = @ETag
        RETURNING user_id
        """;

    // Idempotent: one pending transcription task per recording, however often ingest completes it.
    private const string TranscriptionTaskSql = """
        INSERT INTO ai_generation_tasks (user_id, task_type, prompt, status, metadata)
        SELECT @UserId, 'transcription', 'Transcribe recording ' || @Id, 'pending',
               jsonb_build_object('recordingId', @Id, 'source', 'recorder-functions')
        WHERE NOT EXISTS (
          SELECT 1 FROM ai_generation_tasks
          WHERE task_type = 'transcription' AND metadata ->> 'recordingId' = @Id::text)
        """;

    public Task ProcessAsync(IngestMessage message, CancellationToken cancellationToken) => message.Kind switch
    {
        IngestMessage.IngestKind when message.RecordingId is { } id => IngestAsync(id, message.ETag, cancellationToken),
        IngestMessage.QuarantineKind when message.BlobName is { } blobName => quarantine.QuarantineAsync(blobName, message.ETag,
            cancellationToken),
        IngestMessage.SeekableCopyKind when message.RecordingId is { } id => seekableCopies.MakeAsync(id, message.ETag, cancellationToken),
        _ => throw new InvalidOperationException($"Ingest message of kind '{message.Kind}' is not understood."),
    };

    /// <summary>
    /// A message that kept failing (the poison queue): its recording fails, so the page stops waiting; a seekable copy that
    /// kept failing is noted on its recording, which plays on from its served copy.
    /// </summary>
    public async Task FailAbandonedAsync(IngestMessage message, CancellationToken cancellationToken)
    {
        if (message is { Kind: IngestMessage.SeekableCopyKind, RecordingId: { } copied })
        {
            await seekableCopies.GiveUpAsync(copied, message.ETag, cancellationToken);
            logger.LogError("Seekable copy of recording {RecordingId} failed every attempt", copied);
            return;
        }
        if (message is not { Kind: IngestMessage.IngestKind, RecordingId: { } id })
        {
            logger.LogError("Poison ingest message of kind {Kind} for blob {BlobName} dropped", message.Kind, message.BlobName);
            return;
        }
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var userId = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(FailProcessingSql, new
        {
            Id = id,
            message.ETag,
            Code = IngestFailure.ProcessingFailed,
            Reason = "The recording could not be processed after several attempts.",
        }, transaction, cancellationToken: cancellationToken));
        if (userId is not null)
        {
            await AuditIngestAsync(connection, transaction, userId, id, AuditOutcomes.Failed, new { code = IngestFailure.ProcessingFailed },
                cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        logger.LogError("Recording {RecordingId} failed: its ingest message was poisoned", id);
    }

    private async Task IngestAsync(long id, string eTag, CancellationToken cancellationToken)
    {
        var leaseId = Guid.NewGuid();
        ClaimedRecording? claimed;
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        {
            claimed = await connection.QuerySingleOrDefaultAsync<ClaimedRecording>(new CommandDefinition(ClaimSql, new
            {
                Id = id,
                ETag = eTag,
                LeaseId = leaseId,
                ingestOptions.Value.LeaseDuration,
            }, cancellationToken: cancellationToken));
        }
        if (claimed is null)
        {
            await RetryWhenLeaseEndsAsync(id, eTag, cancellationToken);
            return;
        }

        await using var lease = IngestLease.Hold(dataSources, id, leaseId, ingestOptions.Value.LeaseDuration, logger);
        try
        {
            switch (await inspector.InspectAsync(claimed, eTag, cancellationToken))
            {
                case Inspection.Refused { Failure: var failure }:
                    await FailAsync(claimed, leaseId, failure, cancellationToken);
                    break;
                case Inspection.Accepted { Media: var media }:
                    await CompleteAsync(claimed, leaseId, eTag, media, cancellationToken);
                    break;
                case Inspection.Superseded:
                    await ReleaseAsync(id, leaseId, cancellationToken);
                    break;
            }
        }
        catch
        {
            // Let the queue's retry (or another worker) take it up at once rather than after the lease.
            await ReleaseAsync(id, leaseId, CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// A message for a recording another attempt holds is never dropped: that attempt may die. It comes back when
    /// the lease can have run out (and finds the recording done, or takes it over).
    /// </summary>
    private async Task RetryWhenLeaseEndsAsync(long id, string eTag, CancellationToken cancellationToken)
    {
        TimeSpan? remaining;
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        {
            remaining = await connection.ExecuteScalarAsync<TimeSpan?>(
                new CommandDefinition(LeasedElsewhereSql, new { Id = id, ETag = eTag }, cancellationToken: cancellationToken));
        }
        if (remaining is not { } wait)
        {
            logger.LogInformation("Recording {RecordingId} is done, superseded or gone; message dropped", id);
            return;
        }
        await queue.SendAsync(IngestMessage.Ingest(id, eTag, sequencer: null), wait + TimeSpan.FromSeconds(1), cancellationToken);
        logger.LogInformation("Recording {RecordingId} is being ingested elsewhere; its message comes back in {Wait}", id, wait);
    }

    /// <summary>
    /// Writes the thumbnail and the server's copy of the upload (the media a completed recording serves, which
    /// no URL handed to a browser can write), each recorded in the ledger first, then the row. A lost race
    /// removes both; a won one removes the upload.
    /// </summary>
    private async Task CompleteAsync(
        ClaimedRecording recording, Guid leaseId, string eTag, InspectedMedia media, CancellationToken cancellationToken)
    {
        var extension = RecordingTypes.ExtensionFor(recording.RecordingType, media.MimeType) ?? Path.GetExtension(recording.BlobName);
        var mediaCopy = new DerivedBlob(DerivedBlob.Processed, DerivedBlobNames.Media(recording.BlobName, leaseId, extension));
        var thumbnail = media.Thumbnail is { } picture
            ? new DerivedBlob(DerivedBlob.Thumbnails, DerivedBlobNames.Thumbnail(recording.BlobName, leaseId, picture.Extension))
            : null;
        IReadOnlyList<DerivedBlob> written = thumbnail is null ? [mediaCopy] : [mediaCopy, thumbnail];
        await derivedBlobs.RecordAsync(recording.Id, written, ingestOptions.Value.LeaseDuration, cancellationToken);

        if (thumbnail is not null)
        {
            await derivedBlobs.Client(thumbnail).UploadAsync(
                new BinaryData(media.Thumbnail!.Content),
                new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = media.Thumbnail.ContentType,
                    CacheControl = "private, max-age=86400" } },
                cancellationToken);
        }
        var upload = blobs.GetBlobContainerClient(storageOptions.Value.UploadsContainer).GetBlobClient(recording.BlobName);
        if (!await CopyInspectedVersionAsync(recording.Id, upload, derivedBlobs.Client(mediaCopy), eTag, media, cancellationToken))
        {
            await RemoveAsync(written);
            await ReleaseAsync(recording.Id, leaseId, cancellationToken);
            return;
        }

        OutboxEntry? seekableCopy = null;
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            // The upload URL's quota lock: two recordings declared small and uploaded large cannot both take the last gap.
            await StorageQuota.LockAsync(connection, transaction, recording.UserId, cancellationToken);
            var (others, limit) = await quota.UsageBesideAsync(connection, transaction, recording.UserId, recording.Id, cancellationToken);
            if (IngestFailure.BeyondQuota(media.Size, others, limit) is { } beyondQuota)
            {
                await transaction.RollbackAsync(CancellationToken.None);
                await RemoveAsync(written);
                await FailAsync(recording, leaseId, beyondQuota, cancellationToken);
                return;
            }
            var updated = await DerivedBlobs.AdoptAsync(connection, transaction, written, cancellationToken)
                ? await connection.ExecuteAsync(new CommandDefinition(CompleteSql, new
                {
                    recording.Id,
                    LeaseId = leaseId,
                    ETag = eTag,
                    Duration = media.Duration is { } d ? Math.Round((decimal)d.TotalSeconds, 3) : (decimal?)null,
                    FileSize = media.Size,
                    media.MimeType,
                    Media = MediaJson(media),
                    MediaBlobName = mediaCopy.BlobName,
                    ThumbnailBlobName = thumbnail?.BlobName,
                }, transaction, cancellationToken: cancellationToken))
                : 0;
            if (updated == 0)
            {
                await transaction.RollbackAsync(CancellationToken.None);
                logger.LogWarning(
                    "Recording {RecordingId} was deleted or taken over while being ingested; what this attempt wrote is removed",
                    recording.Id);
                await RemoveAsync(written);
                return;
            }
            await AuditIngestAsync(connection, transaction, recording.UserId, recording.Id, AuditOutcomes.Success,
                new { durationSeconds = media.Duration?.TotalSeconds, media.Size }, cancellationToken);
            if (media.MimeType != recording.MimeType)
            {
                await AuditLog.WriteSystemAsync(connection, transaction, new SystemAuditEntry(BlobEventAcceptor.ActorId, recording.UserId,
                    AuditActions.RecordingMimeTypeCorrected, AuditOutcomes.Success, recording.Id,
                    new { declared = recording.MimeType, mimeType = media.MimeType }), cancellationToken);
            }
            if (ingestOptions.Value.CreateTranscriptionTasks && media.Info.HasAudio)
            {
                await connection.ExecuteAsync(
                    new CommandDefinition(TranscriptionTaskSql, new { recording.UserId, recording.Id }, transaction,
                        cancellationToken: cancellationToken));
            }
            // A WebM whose duration had to be found in its tail has no Duration and no Cues: players cannot seek it.
            if (ingestOptions.Value.SeekableCopy && media.DurationSource is WebmDuration.Tail)
            {
                seekableCopy = await IngestOutbox.AddAsync(connection, transaction, IngestMessage.SeekableCopy(recording.Id, eTag),
                    cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
        }
        logger.LogInformation("Recording {RecordingId} completed", recording.Id);

        // The recording serves its copy now; a failure here leaves the upload to the reconciler.
        await DeleteQuietlyAsync(upload, new BlobRequestConditions { IfMatch = new ETag(eTag) });
        if (seekableCopy is not null)
        {
            await outbox.SendAsync(seekableCopy, cancellationToken);
        }
    }

    /// <summary>
    /// A server-side copy of exactly the inspected version (If-Match), served as what ingest found it to be rather than the
    /// Content-Type the browser sent: false when the upload changed or went meanwhile.
    /// </summary>
    private async Task<bool> CopyInspectedVersionAsync(
        long recordingId, BlobClient upload, BlobClient target, string eTag, InspectedMedia media, CancellationToken cancellationToken)
    {
        var source = await sas.CreateReadUriAsync(upload.BlobContainerName, upload.Name,
            time.GetUtcNow() + ingestOptions.Value.SeekableCopyTimeout, cancellationToken);
        try
        {
            var copy = await target.StartCopyFromUriAsync(source,
                new BlobCopyFromUriOptions { SourceConditions = new BlobRequestConditions { IfMatch = new ETag(eTag) } },
                cancellationToken);
            await copy.WaitForCompletionAsync(cancellationToken);
            await target.SetHttpHeadersAsync(new BlobHttpHeaders { ContentType = media.MimeType, ContentHash = media.ContentHash },
                cancellationToken: cancellationToken);
            return true;
        }
        catch (RequestFailedException exception) when (exception.Status is 404 or 412)
        {
            logger.LogInformation("Upload of recording {RecordingId} changed or went while it was inspected; its newer event decides",
                recordingId);
            return false;
        }
    }

    private async Task FailAsync(ClaimedRecording recording, Guid leaseId, IngestFailure failure, CancellationToken cancellationToken)
    {
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            var updated = await connection.ExecuteAsync(new CommandDefinition(FailSql, new
            {
                recording.Id,
                LeaseId = leaseId,
                failure.Code,
                failure.Reason,
                failure.Detail,
            }, transaction, cancellationToken: cancellationToken));
            if (updated == 0)
            {
                return;
            }
            await AuditIngestAsync(connection, transaction, recording.UserId, recording.Id, AuditOutcomes.Failed,
                new { code = failure.Code }, cancellationToken);
            // Kept for support to recover, or (removed below) the ledger's retry should that delete fail.
            await DerivedBlobs.KeepFailedUploadAsync(connection, transaction, recording.Id, recording.BlobName,
                failure.RemoveBlob ? TimeSpan.Zero : ingestOptions.Value.FailedUploadGracePeriod, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        logger.LogWarning("Recording {RecordingId} failed ingest: {FailureCode}", recording.Id, failure.Code);
        if (failure.RemoveBlob)
        {
            await blobs.GetBlobContainerClient(storageOptions.Value.UploadsContainer).GetBlobClient(recording.BlobName)
                .DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        }
    }

    private async Task ReleaseAsync(long id, Guid leaseId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(
            new CommandDefinition(ReleaseSql, new { Id = id, LeaseId = leaseId }, cancellationToken: cancellationToken));
    }

    /// <summary>Removes what a losing attempt wrote at once (their ledger entries are the fallback if this fails).</summary>
    private async Task RemoveAsync(IEnumerable<DerivedBlob> written)
    {
        foreach (var derived in written)
        {
            await DeleteQuietlyAsync(derivedBlobs.Client(derived), conditions: null);
        }
    }

    private async Task DeleteQuietlyAsync(BlobClient blob, BlobRequestConditions? conditions)
    {
        try
        {
            await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, conditions, CancellationToken.None);
        }
        catch (Exception exception) when (exception is RequestFailedException or AggregateException)
        {
            logger.LogWarning(exception, "Blob {BlobName} in {Container} could not be removed now", blob.Name, blob.BlobContainerName);
        }
    }

    private static Task AuditIngestAsync(Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction transaction, string userId,
        long recordingId, string outcome, object details, CancellationToken cancellationToken)
        => AuditLog.WriteSystemAsync(connection, transaction,
            new SystemAuditEntry(BlobEventAcceptor.ActorId, userId, AuditActions.RecordingIngest, outcome, recordingId, details),
            cancellationToken);

    private static string MediaJson(InspectedMedia media)
    {
        var info = media.Info;
        return JsonSerializer.Serialize(new
        {
            container = info.Container,
            durationSource = media.DurationSource,
            hasVideo = info.HasVideo,
            hasAudio = info.HasAudio,
            videoCodec = info.Video?.Codec,
            width = info.Video?.Width,
            height = info.Video?.Height,
            frameRate = info.Video?.FrameRate,
            audioCodec = info.Audio?.Codec,
            channels = info.Audio?.Channels,
            sampleRate = info.Audio?.SampleRate,
            bitRate = info.BitRate,
            truncated = media.Truncated,
        }, MetadataJson);
    }
}
