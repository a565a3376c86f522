using System.Globalization;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Data;
using Recorder.Core.Media.Ffmpeg;
using Recorder.Core.Media.Probe;
using Recorder.Core.Media.Remux;
using Recorder.Core.Storage;
using Recorder.Core.Uploads.Sas;

namespace Recorder.Core.Ingest;

/// <summary>
/// Remuxes a completed recording's media (a Chrome WebM without Duration and Cues) into a seekable copy in the processed
/// container — WebM, or Matroska for codecs WebM does not take (<see cref="SeekableContainer"/>) — checks it and points the
/// recording at it; <c>metadata.seekableCopy</c> says which, or why no copy was made. The copy it replaces stays until
/// every read URL handed out for it has expired; the ledger's sweep removes it then. The remux writes a local file as
/// large as the media: it waits its turn for the disk (<see cref="LocalDiskBudget"/>) on the queue.
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
    /// <summary>Why a recording has no seekable copy (<c>metadata.seekableCopy.reason</c>, docs/ingest.md).</summary>
    public const string LargerThanDiskBudget = "larger_than_disk_budget";

    public const string RemuxFailed = "remux_failed";

    public const string NotVerified = "not_verified";

    public const string TimedOut = "timed_out";

    public const string FailedEveryRetry = "failed_every_retry";

    private static readonly JsonSerializerOptions NoteJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private const string CandidateSql = """
        SELECT blob_name AS BlobName, media_blob_name AS MediaBlobName, duration AS Duration, file_size AS FileSize,
               metadata -> 'media' ->> 'videoCodec' AS VideoCodec, metadata -> 'media' ->> 'audioCodec' AS AudioCodec
        FROM recordings
        WHERE id = @Id AND status = 'completed' AND blob_etag = @ETag
        """;

    // Only while the recording still serves the copy this remux was made from, and is still completed.
    private const string UseSeekableCopySql = """
        UPDATE recordings SET media_blob_name = @SeekableBlobName, metadata = metadata || jsonb_build_object('seekableCopy', @Note::jsonb)
        WHERE id = @Id AND status = 'completed' AND blob_etag = @ETag AND media_blob_name = @MediaBlobName
        """;

    private const string NoteSql = """
        UPDATE recordings SET metadata = metadata || jsonb_build_object('seekableCopy', @Note::jsonb)
        WHERE id = @Id AND status = 'completed' AND blob_etag = @ETag AND media_blob_name = @MediaBlobName
        """;

    private sealed record Candidate(
        string BlobName, string? MediaBlobName, decimal? Duration, long FileSize, string? VideoCodec, string? AudioCodec);

    /// <summary><c>metadata.seekableCopy</c>: made, in which container; or not made, and why.</summary>
    private sealed record Note(string Status, string? Container = null, string? Reason = null, string? Detail = null)
    {
        public static Note Made(SeekableContainer container) => new("made", Container: container.Format);

        public static Note NotMade(string reason, string detail) => new("not_made", Reason: reason, Detail: detail);
    }

    public async Task MakeAsync(long id, string eTag, CancellationToken cancellationToken)
    {
        if (await NeedingCopyAsync(id, eTag, cancellationToken) is not { MediaBlobName: { } mediaBlobName } recording)
        {
            logger.LogInformation("Recording {RecordingId} needs no seekable copy (done, changed or gone)", id);
            return;
        }

        if (recording.FileSize > localDisk.Capacity)
        {
            await NoteAsync(id, eTag, mediaBlobName, Note.NotMade(LargerThanDiskBudget,
                $"{recording.FileSize} bytes, the local disk budget is {localDisk.Capacity}"), cancellationToken);
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
        var container = SeekableContainer.For(new[] { recording.VideoCodec, recording.AudioCodec }.OfType<string>());
        var source = blobs.GetBlobContainerClient(storageOptions.Value.ProcessedContainer).GetBlobClient(mediaBlobName);
        var seekable = new DerivedBlob(DerivedBlob.Processed,
            DerivedBlobNames.Seekable(recording.BlobName, Guid.NewGuid(), container.Extension));
        // Recorded for longer than the copy may take, so the sweep never takes it from under the upload.
        await derivedBlobs.RecordAsync(id, [seekable], 2 * timeout, cancellationToken);
        var readUrl = await sas.CreateReadUriAsync(source.BlobContainerName, source.Name, time.GetUtcNow() + timeout, cancellationToken);
        var localCopy = Path.Combine(Path.GetTempPath(), $"recorder-{id}-{Guid.NewGuid():N}{container.Extension}");
        Note? notMade;
        try
        {
            notMade = await WriteAsync(readUrl, localCopy, container, recording, seekable, deadline.Token);
        }
        catch (Exception exception) when (exception is FfmpegTimeoutException
            || exception is OperationCanceledException && deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            notMade = Note.NotMade(TimedOut, $"not done within {timeout}");
        }
        finally
        {
            File.Delete(localCopy);
        }
        if (notMade is not null)
        {
            logger.LogWarning("No seekable copy of recording {RecordingId} ({Reason}): {Detail}; the original stays the media", id,
                notMade.Reason, notMade.Detail);
            await NoteAsync(id, eTag, mediaBlobName, notMade, cancellationToken);
            return;
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
                Note = JsonSerializer.Serialize(Note.Made(container), NoteJson),
            }, transaction, cancellationToken: cancellationToken)) == 1;
        if (!switched)
        {
            // Deleted meanwhile, or done by a duplicate message: this copy belongs to nobody.
            await transaction.RollbackAsync(CancellationToken.None);
            await derivedBlobs.Client(seekable)
                .DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: CancellationToken.None);
            return;
        }
        // A player may still be streaming the replaced copy with a URL valid until its expiry; the skew covers a URL signed
        // just after this commit from a row read before it, or by a clock ahead of the database's.
        await DerivedBlobs.ScheduleRemovalAsync(connection, transaction, id, [new DerivedBlob(DerivedBlob.Processed, mediaBlobName)],
            sasOptions.Value.ReadUrlLifetime + sasOptions.Value.ClockSkew, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Recording {RecordingId} now plays from its seekable copy ({Container})", id, container.Format);
    }

    /// <summary>The copy's message kept failing (the poison queue): the recording says so, and plays on from its served copy.</summary>
    public async Task GiveUpAsync(long id, string eTag, CancellationToken cancellationToken)
    {
        if (await NeedingCopyAsync(id, eTag, cancellationToken) is { MediaBlobName: { } mediaBlobName })
        {
            await NoteAsync(id, eTag, mediaBlobName, Note.NotMade(FailedEveryRetry, "the copy failed on every attempt"),
                cancellationToken);
        }
    }

    /// <summary>The completed recording while it still serves its first copy; null once it has a seekable one, or is gone.</summary>
    private async Task<Candidate?> NeedingCopyAsync(long id, string eTag, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        var candidate = await connection.QuerySingleOrDefaultAsync<Candidate>(
            new CommandDefinition(CandidateSql, new { Id = id, ETag = eTag }, cancellationToken: cancellationToken));
        return candidate is { MediaBlobName: { } media } && !DerivedBlobNames.IsSeekable(media) ? candidate : null;
    }

    /// <summary>Remuxes, checks and uploads the copy: null when it is in storage, else why it is not.</summary>
    private async Task<Note?> WriteAsync(Uri readUrl, string localCopy, SeekableContainer container, Candidate recording,
        DerivedBlob seekable, CancellationToken cancellationToken)
    {
        var timeout = ingestOptions.Value.SeekableCopyTimeout;
        if (await remuxer.RemuxAsync(readUrl.AbsoluteUri, localCopy, container, timeout, cancellationToken) is { } remuxError)
        {
            return Note.NotMade(RemuxFailed, remuxError);
        }
        var probed = await probe.ProbeAsync(localCopy, cancellationToken);
        if (probed is not ProbeResult.Probed { Info: { Duration: { } copyDuration } info })
        {
            return Note.NotMade(NotVerified, probed is ProbeResult.Corrupt corrupt ? corrupt.Reason : "the copy states no duration");
        }
        if (recording.Duration is { } expected && Math.Abs(copyDuration.TotalSeconds - (double)expected) > 0.5)
        {
            return Note.NotMade(NotVerified, string.Create(CultureInfo.InvariantCulture,
                $"the copy lasts {copyDuration.TotalSeconds:0.000} s, the recording {expected:0.000} s"));
        }
        await derivedBlobs.Client(seekable).UploadAsync(localCopy,
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = container.ContentType(info.HasVideo) } },
            cancellationToken);
        return null;
    }

    private async Task NoteAsync(long id, string eTag, string mediaBlobName, Note note, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(NoteSql, new
        {
            Id = id,
            ETag = eTag,
            MediaBlobName = mediaBlobName,
            Note = JsonSerializer.Serialize(note, NoteJson),
        }, cancellationToken: cancellationToken));
    }
}
