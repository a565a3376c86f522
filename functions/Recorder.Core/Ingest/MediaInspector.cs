using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Data;
using Recorder.Core.Media;
using Recorder.Core.Media.Mp4;
using Recorder.Core.Media.Probe;
using Recorder.Core.Media.Sniffing;
using Recorder.Core.Media.Thumbnails;
using Recorder.Core.Media.Webm;
using Recorder.Core.Recordings;
using Recorder.Core.Storage;
using Recorder.Core.Uploads.Sas;

namespace Recorder.Core.Ingest;

/// <summary>A recording a worker holds the ingest lease of.</summary>
/// <param name="Recovered">Committed by the server after its live upload went silent: its last block may end mid-element.</param>
public sealed record ClaimedRecording(long Id, string UserId, string BlobName, string MimeType, string RecordingType, bool Recovered);

/// <summary>What the inspector found: media to record, a reason to refuse it, or a newer blob version to leave to its own event.</summary>
public abstract record Inspection
{
    private Inspection()
    {
    }

    public sealed record Accepted(InspectedMedia Media) : Inspection;

    public sealed record Refused(IngestFailure Failure) : Inspection;

    public sealed record Superseded : Inspection;
}

/// <summary>
/// What ingest found. <paramref name="MimeType"/>: what the recording is, the declared type or, when the file is a recording
/// of the same kind in another container, that container's type. <paramref name="ContentHash"/>: the upload's MD5, if any.
/// <paramref name="Truncated"/>: the file ends inside its last element or fragment (a recovered live upload); the duration
/// is of what is whole.
/// </summary>
public sealed record InspectedMedia(long Size, MediaInfo Info, TimeSpan? Duration, string DurationSource, Thumbnail? Thumbnail,
    string MimeType, byte[]? ContentHash, bool Truncated);

/// <summary>
/// Looks at an upload blob without trusting the event that announced it: how it was written, its size
/// against the limits, its first bytes against the declared type, then ffprobe, the WebM tail duration or where
/// a fragmented MP4 ends, and a thumbnail, reading ranges through a short-lived read SAS. A recording declared as another type is
/// kept under its true one when the recording type allows it (audio for audio, video for the others).
/// </summary>
public sealed class MediaInspector(
    RecorderDataSources dataSources,
    BlobServiceClient blobs,
    IBlobSasIssuer sas,
    MediaProbe probe,
    ThumbnailMaker thumbnails,
    IOptions<StorageOptions> storageOptions,
    IOptions<RecordingsOptions> recordingsOptions,
    StorageQuota quota,
    TimeProvider time,
    ILogger<MediaInspector> logger)
{
    public async Task<Inspection> InspectAsync(ClaimedRecording recording, string eTag, CancellationToken cancellationToken)
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

        // The second wall: whatever the event said, storage's own record of how the blob was made.
        if (WrittenByStorage(properties) is { } how)
        {
            logger.LogWarning("Blob of recording {RecordingId} was not uploaded by a browser ({How})", recording.Id, how);
            return Refuse(IngestFailure.NotABrowserUpload(how));
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
        var declaredType = MediaSniffer.Matches(container, recording.MimeType);
        if (!declaredType && !MediaSniffer.IsRecordingContainer(container))
        {
            // No audio or video at all: keeping it would only keep what somebody should not have stored here.
            return Refuse(
                new IngestFailure(IngestFailure.UnsupportedMedia,
                    $"The file is not {recording.MimeType.Split(';')[0]} (it looks like {container}).", RemoveBlob: true,
                    Detail: $"not audio or video: {container}"));
        }

        var readUrl = await sas.CreateReadUriAsync(blob.BlobContainerName, blob.Name, time.GetUtcNow() + TimeSpan.FromMinutes(15),
            cancellationToken);
        // Safari's MediaRecorder writes fragmented MP4: its end (and whether the upload was cut inside a fragment) is read from
        // the tail, so ffprobe and the thumbnail need not visit every moof.
        var fragments = container == MediaContainer.Mp4
            ? await FragmentedMp4End.ReadAsync(new KnownPrefixReader(reader, head), cancellationToken)
            : null;
        var skipFragmentScan = fragments is { Duration: not null };
        var probed = await probe.ProbeAsync(readUrl.AbsoluteUri, skipFragmentScan, cancellationToken);
        if (probed is not ProbeResult.Probed { Info: var info })
        {
            var reason = ((ProbeResult.Corrupt)probed).Reason;
            return Refuse(
                new IngestFailure(IngestFailure.CorruptMedia, "The file is damaged or incomplete and cannot be played.", Detail: reason));
        }

        var mimeType = recording.MimeType;
        if (!declaredType)
        {
            if (MediaSniffer.MimeTypeOf(container, info.HasVideo) is not { } trueType
                || RecordingTypes.ExtensionFor(recording.RecordingType, trueType) is null)
            {
                return Refuse(new IngestFailure(IngestFailure.UnsupportedMedia,
                    $"The file is {(info.HasVideo ? "video" : "audio")} in {container}, which a {recording.RecordingType} recording " +
                    "cannot be.", Detail: $"declared {recording.MimeType}"));
            }
            logger.LogInformation("Recording {RecordingId} declared {DeclaredType} is {MimeType}", recording.Id, recording.MimeType,
                trueType);
            mimeType = trueType;
        }

        var duration = info.Duration;
        string durationSource = "container";
        var truncated = false;
        if (container == MediaContainer.Matroska)
        {
            // Chrome's MediaRecorder WebM has no Duration: take it from the last cluster in the tail. What ffprobe says of
            // one without a Duration is an estimate from the bit rate (PCM audio), not the container's word.
            var webm = await WebmDurationReader.ReadAsync(new KnownPrefixReader(reader, head), cancellationToken);
            // A recovered live upload ends where its last staged block did, often inside a cluster: that is its end.
            truncated = webm is { Truncated: true };
            if (truncated && !recording.Recovered)
            {
                return Refuse(new IngestFailure(
                    IngestFailure.CorruptMedia, "The recording was cut off before its end (an incomplete upload).",
                    Detail: $"WebM ends inside an element after {webm!.Duration.TotalSeconds:0.000} s of media"));
            }
            duration = webm?.Duration ?? duration;
            durationSource = webm is { Method: WebmDuration.Tail } ? WebmDuration.Tail : duration is null ? "unknown" : durationSource;
        }
        else if (fragments is not null)
        {
            // ffprobe reads one cut inside a fragment without complaint and counts that fragment's samples, present or not.
            truncated = fragments.Truncated;
            if (truncated && !recording.Recovered)
            {
                return Refuse(new IngestFailure(
                    IngestFailure.CorruptMedia, "The recording was cut off before its end (an incomplete upload).",
                    Detail: $"MP4 ends inside a fragment after {fragments.Duration?.TotalSeconds ?? 0:0.000} s of whole fragments"));
            }
            if (fragments.Duration is { } end)
            {
                duration = end;
                durationSource = FragmentedMp4End.Fragments;
                // ffprobe saw the first fragment only: its bit rate is of that.
                info = info with { BitRate = end > TimeSpan.Zero ? (long)(size * 8 / end.TotalSeconds) : null };
            }
        }

        Thumbnail? thumbnail = null;
        try
        {
            thumbnail = await thumbnails.CreateAsync(readUrl.AbsoluteUri, info with { Duration = duration }, skipFragmentScan,
                cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // A recording that plays is worth keeping without a picture.
            logger.LogWarning(exception, "No thumbnail for recording {RecordingId}", recording.Id);
        }
        logger.LogInformation(
            "Recording {RecordingId} probed: {Container}, {Duration} ({DurationSource}), {BytesRead} bytes read for duration",
            recording.Id, info.Container, duration, durationSource, reader.BytesRead);
        return new Inspection.Accepted(
            new InspectedMedia(size, info, duration, durationSource, thumbnail, mimeType, properties.ContentHash, truncated));
    }

    /// <summary>
    /// How storage itself made the blob, when not by a browser's Put Blob / Put Block List: a copy, or another blob type.
    /// </summary>
    private static string? WrittenByStorage(BlobProperties properties)
        => properties.BlobType != BlobType.Block ? $"{properties.BlobType} blob"
            : properties.CopyId is not null || properties.CopySource is not null || properties.CopyCompletedOn != default ? "copy"
            : null;

    private async Task<IngestFailure?> CheckSizeAsync(ClaimedRecording recording, long size, CancellationToken cancellationToken)
    {
        var limits = recordingsOptions.Value;
        if (size == 0)
        {
            return new IngestFailure(IngestFailure.EmptyFile, "The uploaded file is empty.", RemoveBlob: true);
        }
        if (size > limits.MaxFileSizeBytes)
        {
            return new IngestFailure(IngestFailure.FileTooLarge, $"The file is larger than the {limits.MaxFileSizeBytes} bytes allowed.",
                RemoveBlob: true);
        }
        // An early refusal without the lock, to spare the probe; the worker checks again under it when it completes.
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        var (others, limit) = await quota.UsageBesideAsync(connection, null, recording.UserId, recording.Id, cancellationToken);
        return IngestFailure.BeyondQuota(size, others, limit);
    }

    private static Inspection Refuse(IngestFailure failure) => new Inspection.Refused(failure);
}
