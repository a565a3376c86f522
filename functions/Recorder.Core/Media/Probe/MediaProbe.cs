using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Media.Ffmpeg;

namespace Recorder.Core.Media.Probe;

/// <summary>
/// Reads a recording's container, streams and (where the container states it) duration with ffprobe, from a read SAS
/// URL by range requests or a local file. ffprobe reads only headers and a few seconds of packets: an MP4 cut before
/// its moov box fails here, a WebM cut mid-cluster does not (the WebM duration reader measures it).
/// </summary>
public sealed class MediaProbe(FfmpegRunner runner, IOptions<MediaOptions> options, ILogger<MediaProbe> logger)
{
    // Format and stream descriptions only: a file that needs more than this to describe is not a recording.
    private const int MaxOutputBytes = 1024 * 1024;

    public Task<ProbeResult> ProbeAsync(string input, CancellationToken cancellationToken)
        => ProbeAsync(input, skipFragmentScan: false, cancellationToken);

    /// <param name="skipFragmentScan">A fragmented MP4 whose duration ingest reads itself (<see cref="FfmpegInput.From"/>).</param>
    public async Task<ProbeResult> ProbeAsync(string input, bool skipFragmentScan, CancellationToken cancellationToken)
    {
        var source = FfmpegInput.From(input, skipFragmentScan: skipFragmentScan);
        var settings = options.Value;
        var command = new FfmpegCommand(settings.FfprobePath, MediaOptions.FfprobePathSetting,
        [
            "-v", "error",
            "-hide_banner",
            // Bounds what stream detection fetches over HTTP: about 5 MB or 5 s of media.
            "-probesize", "5000000",
            "-analyzeduration", "5000000",
            .. source.Options,
            "-print_format", "json",
            "-show_format",
            "-show_streams",
            "-i", source.Url,
        ], settings.ProbeTimeout, MaxOutputBytes);

        FfmpegResult result;
        try
        {
            result = await runner.RunAsync(command, cancellationToken);
        }
        catch (FfmpegOutputLimitException exception)
        {
            return Corrupt(source, exception.Message);
        }

        if (result.ExitCode != 0)
        {
            var reason = FfmpegErrors.Reason(command, result);
            return FfmpegErrors.IsReadFailure(result.Error)
                ? throw new MediaReadException($"ffprobe could not read {source.Display}: {reason}")
                : Corrupt(source, reason);
        }

        var output = JsonSerializer.Deserialize(result.Output, FfprobeJsonContext.Default.FfprobeOutput);
        var streams = output?.Streams ?? [];
        var video = streams.FirstOrDefault(s => s.CodecType == "video" && s.Disposition?.AttachedPicture != 1);
        var audio = streams.FirstOrDefault(s => s.CodecType == "audio");
        if (video is null && audio is null)
        {
            return Corrupt(source, "no audio or video stream");
        }

        var info = new MediaInfo(
            output?.Format?.FormatName ?? "",
            ParseDuration(output?.Format?.Duration),
            long.TryParse(output?.Format?.BitRate, NumberStyles.None, CultureInfo.InvariantCulture, out var bitRate) ? bitRate : null,
            video is null ? null
                : new VideoInfo(video.CodecName ?? "", video.Width ?? 0, video.Height ?? 0,
                    ParseRate(video.AverageFrameRate) ?? ParseRate(video.RealFrameRate)),
            audio is null ? null
                : new AudioInfo(audio.CodecName ?? "", audio.Channels ?? 0,
                    int.TryParse(audio.SampleRate, NumberStyles.None, CultureInfo.InvariantCulture, out var sampleRate) ? sampleRate : 0));
        logger.LogDebug("Probed {Input}: {Container}, video {VideoCodec}, audio {AudioCodec}, duration {Duration}",
            source.Display, info.Container, info.Video?.Codec, info.Audio?.Codec, info.Duration);
        return new ProbeResult.Probed(info);
    }

    private ProbeResult.Corrupt Corrupt(FfmpegInput source, string reason)
    {
        logger.LogInformation("ffprobe found no readable recording in {Input}: {Reason}", source.Display, reason);
        return new ProbeResult.Corrupt(reason);
    }

    // "N/A" or absent when the container does not say (Chrome's MediaRecorder WebM).
    private static TimeSpan? ParseDuration(string? seconds)
        => double.TryParse(seconds, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && value >= 0
            ? TimeSpan.FromSeconds(value)
            : null;

    // "30/1", "30000/1001"; "0/0" when unknown.
    private static double? ParseRate(string? rate)
    {
        var parts = rate?.Split('/');
        return parts is [var numerator, var denominator]
            && double.TryParse(numerator, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            && double.TryParse(denominator, NumberStyles.None, CultureInfo.InvariantCulture, out var d)
            && n > 0 && d > 0
                ? n / d
                : null;
    }
}
