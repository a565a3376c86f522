using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Data;
using Recorder.Core.Media.Probe;
using Recorder.Core.Media.Remux;
using Recorder.Core.Storage;
using Recorder.Core.Uploads.Sas;

namespace Recorder.Core.Ingest;

/// <summary>
/// Remuxes a completed recording's media (a Chrome WebM without Duration and Cues) into a seekable WebM
/// in the processed container, checks it and points the recording at it. The copy it replaces stays until
/// every read URL handed out for it has expired; the ledger's sweep removes it then. The remux writes a local
/// file as large as the media: it waits its turn for the disk (<see cref="LocalDiskBudget"/>) on the queue.
/// </summary>
public sealed class SeekableCopyWorker(
    RecorderDataSources dataSources,
    BlobServiceClient blobs,
    IBlobSasIssuer sas,
    MediaProbe probe,
    SeekableRemuxer remuxer,
    DerivedBlobs derivedBlobs,
    LocalDiskBudget localDisk,
    IngestQueue queue,
    IOptions<IngestOptions> ingestOptions,
    IOptions<SasOptions> sasOptions,
    IOptions<StorageOptions> storageOptions,
    TimeProvider time,
    ILogger<SeekableCopyWorker> logger)
{
    private const string CandidateSql = """
        SELECT blob_name AS BlobName, media_blob_name AS MediaBlobName, duration AS Duration, file_size AS FileSize
        FROM recordings
        WHERE id = @Id AND status = 'completed' AND blob_etag = @ETag
        """;

    // Only while the recording still serves the copy this remux was made from, and is still completed.
    private const string UseSeekableCopySql = """
        UPDATE recordings SET media_blob_name = @SeekableBlobName
        WHERE id = @Id AND status = 'completed' AND blob_etag = @ETag AND media_blob_name = @MediaBlobName
        """;

    public async Task MakeAsync(long id, string eTag, CancellationToken cancellationToken)
    {
        (string BlobName, string? MediaBlobName, decimal? Duration, long FileSize)? candidate;
        await using (var reader = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        {
            candidate = await reader.QuerySingleOrDefaultAsync<(string, string?, decimal?, long)?>(
                new CommandDefinition(CandidateSql, new { Id = id, ETag = eTag }, cancellationToken: cancellationToken));
        }
        if (candidate is not { MediaBlobName: { } mediaBlobName } recording || DerivedBlobNames.IsSeekable(mediaBlobName))
        {
            logger.LogInformation("Recording {RecordingId} needs no seekable copy (done, changed or gone)", id);
            return;
        }

        if (recording.FileSize > localDisk.Capacity)
        {
            logger.LogWarning(
                "Recording {RecordingId} ({Bytes} bytes) is larger than the seekable-copy disk budget; the original stays the media",
                id, recording.FileSize);
            return;
        }
        using var diskReservation = localDisk.TryReserve(recording.FileSize);
        if (diskReservation is null)
        {
            // Other copies hold the disk: this one goes back on the queue rather than holding a worker while it waits.
            await queue.SendAsync(IngestMessage.SeekableCopy(id, eTag), ingestOptions.Value.SeekableCopyDiskWait, cancellationToken);
            logger.LogInformation("Seekable copy of recording {RecordingId} waits for local disk", id);
            return;
        }

        var timeout = ingestOptions.Value.SeekableCopyTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var source = blobs.GetBlobContainerClient(storageOptions.Value.ProcessedContainer).GetBlobClient(mediaBlobName);
        var seekable = new DerivedBlob(DerivedBlob.Processed, DerivedBlobNames.Seekable(recording.BlobName, Guid.NewGuid()));
        // Recorded for longer than the copy may take, so the sweep never takes it from under the upload.
        await derivedBlobs.RecordAsync(id, [seekable], 2 * timeout, cancellationToken);
        var readUrl = await sas.CreateReadUriAsync(source.BlobContainerName, source.Name, time.GetUtcNow() + timeout, cancellationToken);
        var localCopy = Path.Combine(Path.GetTempPath(), $"recorder-{id}-{Guid.NewGuid():N}.webm");
        try
        {
            await remuxer.RemuxAsync(readUrl.AbsoluteUri, localCopy, timeout, deadline.Token);
            if (await probe.ProbeAsync(localCopy, deadline.Token) is not ProbeResult.Probed { Info.Duration: { } copyDuration }
                || recording.Duration is { } expected && Math.Abs(copyDuration.TotalSeconds - (double)expected) > 0.5)
            {
                logger.LogWarning("Seekable copy of recording {RecordingId} did not verify; the original stays the media", id);
                return;
            }
            await derivedBlobs.Client(seekable)
                .UploadAsync(localCopy, new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "video/webm" } },
                    deadline.Token);
        }
        finally
        {
            File.Delete(localCopy);
        }

        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var switched = await DerivedBlobs.AdoptAsync(connection, transaction, [seekable], cancellationToken)
            && await connection.ExecuteAsync(new CommandDefinition(UseSeekableCopySql, new
            {
                Id = id,
                ETag = eTag,
                MediaBlobName = mediaBlobName,
                SeekableBlobName = seekable.BlobName,
            }, transaction, cancellationToken: cancellationToken)) == 1;
        if (!switched)
        {
            // Deleted meanwhile, or done by a duplicate message: this copy belongs to nobody.
            await transaction.RollbackAsync(CancellationToken.None);
            await derivedBlobs.Client(seekable)
                .DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: CancellationToken.None);
            return;
        }
        // A player may still be streaming the replaced copy with a URL valid until its expiry.
        await DerivedBlobs.ScheduleRemovalAsync(connection, transaction, id, [new DerivedBlob(DerivedBlob.Processed, mediaBlobName)],
            sasOptions.Value.ReadUrlLifetime, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Recording {RecordingId} now plays from its seekable copy", id);
    }
}
