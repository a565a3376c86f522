using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Data;
using Recorder.Core.Media;
using Recorder.Core.Media.Probe;
using Recorder.Core.Media.Remux;
using Recorder.Core.Media.Sniffing;
using Recorder.Core.Media.Thumbnails;
using Recorder.Core.Media.Webm;
using Recorder.Core.Privacy;
using Recorder.Core.Recordings;
using Recorder.Core.Storage;
using Recorder.Core.Uploads.Sas;

namespace Recorder.Core.Ingest;

public enum AcceptOutcome
{
    /// <summary>The recording awaited this blob version: now 'processing', work queued.</summary>
    Queued,

    /// <summary>The same or an older blob version than the one already taken (duplicate or out of order).</summary>
    Stale,

    /// <summary>A blob no recording awaits: queued for quarantine.</summary>
    Unknown,

    /// <summary>The recording has left the upload stage; a later write does not change it.</summary>
    Ignored,
}

/// <summary>
/// From a committed blob to a completed (or failed) recording. <see cref="AcceptAsync"/> runs in the
/// webhook: it matches the blob to the recording awaiting it and queues the work in the same
/// transaction. <see cref="ProcessAsync"/> runs in the queue worker: checks, probe, duration,
/// thumbnail, then one write. Every step tolerates duplicates and reordering (docs/ingest.md).
/// </summary>
public sealed class IngestService(
    RecorderDataSources dataSources,
    BlobServiceClient blobs,
    IBlobSasIssuer sas,
    IngestQueue queue,
    MediaProbe probe,
    ThumbnailMaker thumbnails,
    SeekableRemuxer remuxer,
    IOptions<IngestOptions> ingestOptions,
    IOptions<StorageOptions> storageOptions,
    IOptions<RecordingsOptions> recordingsOptions,
    TimeProvider time,
    ILogger<IngestService> logger)
{
    private static readonly JsonSerializerOptions MetadataJson = new(JsonSerializerDefaults.Web);

    public async Task<AcceptOutcome> AcceptAsync(BlobCreatedEvent blobCreated, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var recording = await connection.QuerySingleOrDefaultAsync<(long Id, string UserId, string Status, string? Sequencer)?>(new CommandDefinition(
            IngestSql.LockByBlobName, new { blobCreated.BlobName }, transaction, cancellationToken: cancellationToken));

        AcceptOutcome outcome;
        if (recording is not { } row)
        {
            // Sent before commit: if queueing fails, nothing is recorded and Event Grid's retry starts over.
            await queue.SendAsync(IngestMessage.QuarantineBlob(blobCreated.BlobName, blobCreated.ETag), cancellationToken);
            outcome = AcceptOutcome.Unknown;
        }
        else if (row.Sequencer is not null && string.CompareOrdinal(blobCreated.Sequencer, row.Sequencer) <= 0)
        {
            outcome = AcceptOutcome.Stale;
        }
        else if (row.Status is "uploading" or "processing")
        {
            // A newer commit while processing supersedes the older version: the running worker's
            // claim on the old eTag fails and it stops.
            await connection.ExecuteAsync(new CommandDefinition(IngestSql.MarkProcessing, new { row.Id, blobCreated.ETag, blobCreated.Sequencer }, transaction, cancellationToken: cancellationToken));
            await queue.SendAsync(IngestMessage.Ingest(row.Id, blobCreated.ETag, blobCreated.Sequencer), cancellationToken);
            outcome = AcceptOutcome.Queued;
        }
        else
        {
            await AuditAsync(connection, transaction, row.UserId, row.Id, "recording.blob_rewritten", "rejected", new { row.Status, blobCreated.ETag }, cancellationToken);
            logger.LogWarning("Blob of recording {RecordingId} was written again while '{Status}'; the recording is left as it is", row.Id, row.Status);
            outcome = AcceptOutcome.Ignored;
        }
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("BlobCreated {EventId} for {BlobName}: {Outcome}", blobCreated.Id, blobCreated.BlobName, outcome);
        return outcome;
    }

    public Task ProcessAsync(IngestMessage message, CancellationToken cancellationToken) => message.Kind switch
    {
        IngestMessage.IngestKind when message.RecordingId is { } id => IngestAsync(id, message.ETag, cancellationToken),
        IngestMessage.QuarantineKind when message.BlobName is { } blobName => QuarantineAsync(blobName, message.ETag, cancellationToken),
        IngestMessage.SeekableCopyKind when message.RecordingId is { } id => MakeSeekableCopyAsync(id, message.ETag, cancellationToken),
        _ => throw new InvalidOperationException($"Ingest message of kind '{message.Kind}' is not understood."),
    };

    /// <summary>A message that kept failing (the poison queue): its recording fails, so the page stops waiting.</summary>
    public async Task FailAbandonedAsync(IngestMessage message, CancellationToken cancellationToken)
    {
        if (message is not { Kind: IngestMessage.IngestKind, RecordingId: { } id })
        {
            logger.LogError("Poison ingest message of kind {Kind} for blob {BlobName} dropped", message.Kind, message.BlobName);
            return;
        }
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var userId = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(IngestSql.FailProcessing, new
        {
            Id = id,
            message.ETag,
            Code = IngestFailure.ProcessingFailed,
            Reason = "The recording could not be processed after several attempts.",
        }, transaction, cancellationToken: cancellationToken));
        if (userId is not null)
        {
            await AuditAsync(connection, transaction, userId, id, "recording.ingest", "failed", new { code = IngestFailure.ProcessingFailed }, cancellationToken);
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
            claimed = await connection.QuerySingleOrDefaultAsync<ClaimedRecording>(new CommandDefinition(IngestSql.Claim, new
            {
                Id = id,
                ETag = eTag,
                LeaseId = leaseId,
                ingestOptions.Value.LeaseDuration,
            }, cancellationToken: cancellationToken));
        }
        if (claimed is null)
        {
            logger.LogInformation("Recording {RecordingId} is done, superseded or being ingested elsewhere; message dropped", id);
            return;
        }

        try
        {
            switch (await InspectAsync(claimed, eTag, cancellationToken))
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

    private async Task<Inspection> InspectAsync(ClaimedRecording recording, string eTag, CancellationToken cancellationToken)
    {
        var blob = blobs.GetBlobContainerClient(storageOptions.Value.UploadsContainer).GetBlobClient(recording.BlobName);
        BlobProperties properties;
        try
        {
            properties = (await blob.GetPropertiesAsync(new BlobRequestConditions { IfMatch = new ETag(eTag) }, cancellationToken)).Value;
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            logger.LogWarning("Blob of recording {RecordingId} is gone", recording.Id);
            return Refuse(new IngestFailure(IngestFailure.BlobMissing, "The uploaded file is no longer there."));
        }
        catch (RequestFailedException exception) when (exception.Status == 412)
        {
            logger.LogInformation("Blob of recording {RecordingId} changed since its event; the newer event will ingest it", recording.Id);
            return new Inspection.Superseded();
        }

        var size = properties.ContentLength;
        if (await CheckSizeAsync(recording, size, cancellationToken) is { } sizeFailure)
        {
            return Refuse(sizeFailure);
        }

        var reader = new BlobRangeReader(blob, size, properties.ETag);
        var head = new byte[Math.Min(MediaSniffer.HeadBytes, size)];
        await reader.ReadAsync(0, head, cancellationToken);
        var container = MediaSniffer.Detect(head);
        if (!MediaSniffer.Matches(container, recording.MimeType))
        {
            return Refuse(new IngestFailure(IngestFailure.UnsupportedMedia, $"The file is not {recording.MimeType.Split(';')[0]} (it looks like {container}).", RemoveBlob: true));
        }

        var readUrl = await sas.CreateReadUriAsync(blob.BlobContainerName, blob.Name, time.GetUtcNow() + TimeSpan.FromMinutes(15), cancellationToken);
        var probed = await probe.ProbeAsync(readUrl.AbsoluteUri, cancellationToken);
        if (probed is not ProbeResult.Probed { Info: var info })
        {
            var reason = ((ProbeResult.Corrupt)probed).Reason;
            return Refuse(new IngestFailure(IngestFailure.CorruptMedia, "The file is damaged or incomplete and cannot be played.", Detail: reason));
        }

        var duration = info.Duration;
        string durationSource = "container";
        if (duration is null && container == MediaContainer.Matroska)
        {
            // Chrome's MediaRecorder WebM has no Duration: take it from the last cluster in the tail.
            var webm = await WebmDurationReader.ReadAsync(reader, cancellationToken);
            if (webm is { Truncated: true })
            {
                return Refuse(new IngestFailure(IngestFailure.CorruptMedia, "The recording was cut off before its end (an incomplete upload).",
                    Detail: $"WebM ends inside an element after {webm.Duration.TotalSeconds:0.000} s of media"));
            }
            duration = webm?.Duration;
            durationSource = webm?.Method ?? "unknown";
        }

        Thumbnail? thumbnail = null;
        try
        {
            thumbnail = await thumbnails.CreateAsync(readUrl.AbsoluteUri, info with { Duration = duration }, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // A recording that plays is worth keeping without a picture.
            logger.LogWarning(exception, "No thumbnail for recording {RecordingId}", recording.Id);
        }
        logger.LogInformation("Recording {RecordingId} probed: {Container}, {Duration} ({DurationSource}), {BytesRead} bytes read for duration",
            recording.Id, info.Container, duration, durationSource, reader.BytesRead);
        return new Inspection.Accepted(new InspectedMedia(size, info, duration, durationSource, thumbnail));
    }

    private async Task<IngestFailure?> CheckSizeAsync(ClaimedRecording recording, long size, CancellationToken cancellationToken)
    {
        var limits = recordingsOptions.Value;
        if (size == 0)
        {
            return new IngestFailure(IngestFailure.EmptyFile, "The uploaded file is empty.", RemoveBlob: true);
        }
        if (size > limits.MaxFileSizeBytes)
        {
            return new IngestFailure(IngestFailure.FileTooLarge, $"The file is larger than the {limits.MaxFileSizeBytes} bytes allowed.", RemoveBlob: true);
        }
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        var usage = await connection.QuerySingleAsync<(long UsedBytes, long? LimitBytes)>(new CommandDefinition(IngestSql.OwnerUsage, new { recording.UserId, recording.Id }, cancellationToken: cancellationToken));
        var limit = usage.LimitBytes ?? limits.DefaultStorageLimitBytes;
        return usage.UsedBytes + size > limit
            ? new IngestFailure(IngestFailure.QuotaExceeded, $"The file ({size} bytes) does not fit in your storage: {usage.UsedBytes} of {limit} bytes are in use.", RemoveBlob: true)
            : null;
    }

    private async Task CompleteAsync(ClaimedRecording recording, Guid leaseId, string eTag, InspectedMedia media, CancellationToken cancellationToken)
    {
        string? thumbnailName = null;
        if (media.Thumbnail is { } thumbnail)
        {
            thumbnailName = $"{RecordingFolder(recording.BlobName)}/thumbnail{thumbnail.Extension}";
            await blobs.GetBlobContainerClient(storageOptions.Value.ThumbnailsContainer).GetBlobClient(thumbnailName).UploadAsync(
                new BinaryData(thumbnail.Content),
                new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = thumbnail.ContentType, CacheControl = "private, max-age=86400" } },
                cancellationToken);
        }

        var info = media.Info;
        var mediaJson = JsonSerializer.Serialize(new
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
        }, MetadataJson);

        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition(IngestSql.Complete, new
        {
            recording.Id,
            LeaseId = leaseId,
            ETag = eTag,
            Duration = media.Duration is { } d ? Math.Round((decimal)d.TotalSeconds, 3) : (decimal?)null,
            FileSize = media.Size,
            recording.MimeType,
            Media = mediaJson,
            ThumbnailBlobName = thumbnailName,
        }, transaction, cancellationToken: cancellationToken));
        if (updated == 0)
        {
            logger.LogWarning("Recording {RecordingId} was taken over while being ingested; this result is dropped", recording.Id);
            return;
        }
        await AuditAsync(connection, transaction, recording.UserId, recording.Id, "recording.ingest", "success", new { durationSeconds = media.Duration?.TotalSeconds, media.Size }, cancellationToken);
        if (ingestOptions.Value.CreateTranscriptionTasks && info.HasAudio)
        {
            await connection.ExecuteAsync(new CommandDefinition(IngestSql.TranscriptionTask, new { recording.UserId, recording.Id }, transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Recording {RecordingId} completed", recording.Id);

        // A WebM whose duration had to be found in its tail has no Duration and no Cues: players cannot seek it.
        if (ingestOptions.Value.SeekableCopy && media.DurationSource is "tail" or "scan")
        {
            await queue.SendAsync(IngestMessage.SeekableCopy(recording.Id, eTag), cancellationToken);
        }
    }

    /// <summary>
    /// Remuxes the upload into a seekable WebM in the processed container (which ingest does not watch),
    /// checks it, points the recording at it, then removes the original upload.
    /// </summary>
    private async Task MakeSeekableCopyAsync(long id, string eTag, CancellationToken cancellationToken)
    {
        (long Id, string UserId, string BlobName, decimal? Duration)? candidate;
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        {
            candidate = await connection.QuerySingleOrDefaultAsync<(long, string, string, decimal?)?>(new CommandDefinition(IngestSql.SeekableCandidate, new { Id = id, ETag = eTag }, cancellationToken: cancellationToken));
        }
        if (candidate is not { } recording)
        {
            logger.LogInformation("Recording {RecordingId} needs no seekable copy (done, changed or gone)", id);
            return;
        }

        var storage = storageOptions.Value;
        var source = blobs.GetBlobContainerClient(storage.UploadsContainer).GetBlobClient(recording.BlobName);
        var readUrl = await sas.CreateReadUriAsync(source.BlobContainerName, source.Name, time.GetUtcNow() + ingestOptions.Value.SeekableCopyTimeout, cancellationToken);
        var copyName = $"{RecordingFolder(recording.BlobName)}/seekable.webm";
        var localCopy = Path.Combine(Path.GetTempPath(), $"recorder-{id}-{Guid.NewGuid():N}.webm");
        try
        {
            await remuxer.RemuxAsync(readUrl.AbsoluteUri, localCopy, ingestOptions.Value.SeekableCopyTimeout, cancellationToken);
            if (await probe.ProbeAsync(localCopy, cancellationToken) is not ProbeResult.Probed { Info.Duration: { } copyDuration }
                || recording.Duration is { } expected && Math.Abs(copyDuration.TotalSeconds - (double)expected) > 0.5)
            {
                logger.LogWarning("Seekable copy of recording {RecordingId} did not verify; the original stays the media", id);
                return;
            }
            await blobs.GetBlobContainerClient(storage.ProcessedContainer).GetBlobClient(copyName).UploadAsync(
                localCopy, new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "video/webm" } }, cancellationToken);
        }
        finally
        {
            File.Delete(localCopy);
        }

        int updated;
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        {
            updated = await connection.ExecuteAsync(new CommandDefinition(IngestSql.UseSeekableCopy, new { Id = id, ETag = eTag, MediaBlobName = copyName }, cancellationToken: cancellationToken));
        }
        if (updated == 0)
        {
            // Deleted or re-uploaded meanwhile: the copy belongs to nobody.
            await blobs.GetBlobContainerClient(storage.ProcessedContainer).GetBlobClient(copyName).DeleteIfExistsAsync(cancellationToken: cancellationToken);
            return;
        }
        await source.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, new BlobRequestConditions { IfMatch = new ETag(eTag) }, cancellationToken);
        logger.LogInformation("Recording {RecordingId} now plays from its seekable copy", id);
    }

    private async Task FailAsync(ClaimedRecording recording, Guid leaseId, IngestFailure failure, CancellationToken cancellationToken)
    {
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            var updated = await connection.ExecuteAsync(new CommandDefinition(IngestSql.Fail, new
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
            await AuditAsync(connection, transaction, recording.UserId, recording.Id, "recording.ingest", "failed", new { code = failure.Code }, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        logger.LogWarning("Recording {RecordingId} failed ingest: {FailureCode}", recording.Id, failure.Code);
        if (failure.RemoveBlob)
        {
            await blobs.GetBlobContainerClient(storageOptions.Value.UploadsContainer).GetBlobClient(recording.BlobName)
                .DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        }
    }

    private async Task QuarantineAsync(string blobName, string eTag, CancellationToken cancellationToken)
    {
        bool erased;
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        {
            if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition(IngestSql.Exists, new { BlobName = blobName }, cancellationToken: cancellationToken)))
            {
                logger.LogInformation("Blob {BlobName} belongs to a recording after all; not quarantined", blobName);
                return;
            }
            erased = await PrivacySubjects.IsErasedAsync(connection, blobName, cancellationToken);
        }

        var storage = storageOptions.Value;
        var source = blobs.GetBlobContainerClient(storage.UploadsContainer).GetBlobClient(blobName);
        if (erased)
        {
            await DeleteErasedAsync(source, cancellationToken);
            return;
        }
        var mode = ingestOptions.Value.Quarantine;
        try
        {
            if (mode == QuarantineMode.Move)
            {
                var target = blobs.GetBlobContainerClient(storage.DeadLetterContainer).GetBlobClient($"quarantine/{blobName}");
                var copy = await target.StartCopyFromUriAsync(source.Uri, new BlobCopyFromUriOptions { SourceConditions = new BlobRequestConditions { IfMatch = new ETag(eTag) } }, cancellationToken);
                await copy.WaitForCompletionAsync(cancellationToken);
            }
            await source.DeleteAsync(DeleteSnapshotsOption.IncludeSnapshots, new BlobRequestConditions { IfMatch = new ETag(eTag) }, cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status is 404 or 412)
        {
            logger.LogInformation("Unknown blob {BlobName} is gone or changed since its event; nothing to quarantine", blobName);
            return;
        }

        await using var auditConnection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await using var transaction = await auditConnection.BeginTransactionAsync(cancellationToken);
        await AuditAsync(auditConnection, transaction, null, null, "blob.quarantine", "success", new { blobName, mode = mode.ToString() }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogWarning("Blob {BlobName} matched no recording and was quarantined ({QuarantineMode})", blobName, mode);
    }

    /// <summary>
    /// An upload of a user whose recorder data was erased (a URL issued before the erasure, an event delivered
    /// after it): deleted, whatever version it is, since quarantine would keep personal data. Audited without
    /// the blob's name, which holds the user id.
    /// </summary>
    private async Task DeleteErasedAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await AuditAsync(connection, transaction, null, null, "blob.erased_late", "success", new { reason = "the owner's recorder data was erased" }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogWarning("A blob of an erased user arrived after the erasure and was deleted");
    }

    private async Task ReleaseAsync(long id, Guid leaseId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(IngestSql.Release, new { Id = id, LeaseId = leaseId }, cancellationToken: cancellationToken));
    }

    private static Task AuditAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string? userId, long? recordingId, string action, string outcome, object details, CancellationToken cancellationToken)
        => connection.ExecuteAsync(new CommandDefinition(IngestSql.Audit, new
        {
            UserId = userId,
            Action = action,
            RecordingId = recordingId,
            Outcome = outcome,
            Details = JsonSerializer.Serialize(details, MetadataJson),
        }, transaction, cancellationToken: cancellationToken));

    /// <summary>"{user}/{recordingId}" of an upload's blob name: derived files (thumbnail, seekable copy) go beside it.</summary>
    private static string RecordingFolder(string blobName) => blobName[..blobName.LastIndexOf('/')];

    private sealed record ClaimedRecording(long Id, string UserId, string BlobName, string MimeType, string RecordingType);

    private static Inspection Refuse(IngestFailure failure) => new Inspection.Refused(failure);

    /// <summary>What the worker found: media to record, a reason to refuse it, or a newer blob version to leave to its own event.</summary>
    private abstract record Inspection
    {
        public sealed record Accepted(InspectedMedia Media) : Inspection;

        public sealed record Refused(IngestFailure Failure) : Inspection;

        public sealed record Superseded : Inspection;
    }

    private sealed record InspectedMedia(long Size, MediaInfo Info, TimeSpan? Duration, string DurationSource, Thumbnail? Thumbnail);
}
