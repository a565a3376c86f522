using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Media.Ffmpeg;
using Recorder.Core.Media.Probe;

namespace Recorder.Core.Media.Thumbnails;

/// <summary>
/// Makes a recording's thumbnail with ffmpeg: for video a JPEG frame <see cref="MediaOptions.ThumbnailWidth"/>
/// wide, for audio a PNG waveform on a transparent background.
/// </summary>
public sealed class ThumbnailMaker(FfmpegRunner runner, IOptions<MediaOptions> options, ILogger<ThumbnailMaker> logger)
{
    private const int MaxOutputBytes = 4 * 1024 * 1024;

    private static readonly TimeSpan PreferredOffset = TimeSpan.FromSeconds(1);

    // How much video after the offset is searched for a frame with something in it.
    private static readonly TimeSpan SearchWindow = TimeSpan.FromSeconds(10);

    // Normalised luma entropy (0–1) a frame must exceed: black or a flat colour is 0, a dim room
    // around 0.3, a test pattern 0.5. Camera start-up frames and blank slides are skipped.
    private const string MinEntropy = "0.1";

    // The non-uniform frames ffmpeg's thumbnail filter chooses the most typical one from.
    private const int Candidates = 5;

    private const string WaveColour = "0x3b82f6";

    public Task<Thumbnail> CreateAsync(string input, MediaInfo info, CancellationToken cancellationToken)
        => CreateAsync(input, info, skipFragmentScan: false, cancellationToken);

    /// <param name="skipFragmentScan">A fragmented MP4 whose duration ingest read itself (<see cref="FfmpegInput.From"/>).</param>
    public async Task<Thumbnail> CreateAsync(string input, MediaInfo info, bool skipFragmentScan, CancellationToken cancellationToken)
    {
        var source = FfmpegInput.From(input, skipFragmentScan: skipFragmentScan);
        var thumbnail = info switch
        {
            { HasVideo: true } => await VideoFrameAsync(source, info.Duration, cancellationToken),
            { HasAudio: true } => await WaveformAsync(source, cancellationToken),
            _ => throw new ArgumentException("The media has neither video nor audio.", nameof(info)),
        };
        logger.LogDebug("Made a {ContentType} thumbnail of {Bytes} bytes for {Input}", thumbnail.ContentType, thumbnail.Content.Length,
            source.Display);
        return thumbnail;
    }

    private async Task<Thumbnail> VideoFrameAsync(FfmpegInput source, TimeSpan? duration, CancellationToken cancellationToken)
    {
        var scale = $"scale={options.Value.ThumbnailWidth}:-2"; // -2: the height keeping the aspect ratio, rounded to even
        string[] jpeg = ["-map", "0:V:0", "-frames:v", "1", "-c:v", "mjpeg", "-q:v", "3"];
        // Trimmed after decoding from the start rather than seeking the input (-ss): a WebM without Cues has no index, and
        // ffmpeg's seek read it on to the next key frame and then again from the last one (bench/results/ingest.md).
        var window = $"setpts=PTS-STARTPTS,trim=start={Seconds(Offset(duration))}:duration={Seconds(SearchWindow)}";
        var image = await RunAsync(source,
            [
                "-vf", $"{window},{scale},format=yuv420p,entropy," +
                    $"metadata=mode=select:key=lavfi.entropy.normalized_entropy.normal.Y:value={MinEntropy}:function=greater," +
                    $"thumbnail=n={Candidates}",
                .. jpeg,
            ],
            cancellationToken);
        if (image.Length == 0)
        {
            // Nothing but uniform frames there (a covered camera, a black screen): that is what the recording shows. This
            // reads the file's start again, up to its first frame only.
            image = await RunAsync(source, ["-vf", scale, .. jpeg], cancellationToken);
        }
        return image.Length > 0 ? Thumbnail.Jpeg(image) : throw new ThumbnailException($"ffmpeg found no video frame in {source.Display}.");
    }

    private async Task<Thumbnail> WaveformAsync(FfmpegInput source, CancellationToken cancellationToken)
    {
        var width = options.Value.ThumbnailWidth;
        // showwavespic holds all the samples until the end: mono at 8 kHz keeps that to ~58 MB an hour
        // and is still more than enough for a picture a few hundred pixels wide.
        var image = await RunAsync(source,
        [
            "-filter_complex", $"[0:a:0]aformat=channel_layouts=mono,aresample=8000," +
                $"showwavespic=s={width}x{width / 4}:colors={WaveColour}:scale=sqrt:draw=full[wave]",
            "-map", "[wave]",
            "-frames:v", "1",
            "-c:v", "png",
        ], cancellationToken);
        return image.Length > 0 ? Thumbnail.Png(image) : throw new ThumbnailException($"ffmpeg drew no waveform of {source.Display}.");
    }

    private async Task<byte[]> RunAsync(FfmpegInput source, IReadOnlyList<string> outputOptions, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var command = new FfmpegCommand(settings.FfmpegPath, MediaOptions.FfmpegPathSetting,
        [
            "-nostdin",
            "-v", "error",
            "-hide_banner",
            .. source.Options,
            "-i", source.Url,
            .. outputOptions,
            "-f", "image2pipe",
            "pipe:1",
        ], settings.ThumbnailTimeout, MaxOutputBytes);
        var result = await runner.RunAsync(command, cancellationToken);
        if (result.ExitCode == 0)
        {
            return result.Output;
        }

        var reason = FfmpegErrors.Reason(command, result);
        throw FfmpegErrors.IsReadFailure(result.Error)
            ? new MediaReadException($"ffmpeg could not read {source.Display}: {reason}")
            : new ThumbnailException($"ffmpeg could not make a thumbnail of {source.Display}: {reason}");
    }

    // Past the first second, which is often black or a hand on the mouse; 10 % into shorter clips.
    // Without a duration the clip may be short, so the search starts at the beginning.
    private static TimeSpan Offset(TimeSpan? duration)
        => duration is not { } length ? TimeSpan.Zero
            : length / 10 < PreferredOffset ? length / 10
            : PreferredOffset;

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
