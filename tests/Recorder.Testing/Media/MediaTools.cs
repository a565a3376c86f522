using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Recorder.Testing.Media;

/// <summary>Debian's ffmpeg and ffprobe, run as processes: they make test files and give the ground truth.</summary>
public static class MediaTools
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static Task<string> FfmpegAsync(params string[] arguments) => FfmpegAsync(Timeout, arguments);

    /// <summary>ffmpeg with a time limit of its own: an encode that takes long on a busy machine (a bench file).</summary>
    public static Task<string> FfmpegAsync(TimeSpan timeout, params string[] arguments)
        => RunAsync("ffmpeg", ["-hide_banner", "-v", "error", "-y", .. arguments], timeout);

    /// <summary>What ffprobe says the duration is without decoding: "N/A" for a WebM with no Duration.</summary>
    public static async Task<string> FormatDurationAsync(string path)
        => (await RunAsync("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path])).Trim();

    /// <summary>The ground truth: max(pts + duration) over every packet of every stream, the whole file read.</summary>
    public static async Task<TimeSpan> PacketEndAsync(string path)
    {
        var json = await RunAsync("ffprobe", ["-v", "error", "-show_entries", "packet=pts_time,duration_time", "-of", "json", path]);
        using var document = JsonDocument.Parse(json);
        var end = document.RootElement.GetProperty("packets").EnumerateArray()
            .Where(packet => packet.TryGetProperty("pts_time", out _))
            .Max(packet => Seconds(packet, "pts_time") + (packet.TryGetProperty("duration_time", out _) ? Seconds(packet, "duration_time") : 0));
        return TimeSpan.FromSeconds(end);
    }

    /// <summary>
    /// Every video frame of <paramref name="path"/> (a video, or an image as one frame) with its time and the mean Y, U and V
    /// (ffmpeg's signalstats) of <paramref name="crop"/>, a crop filter's <c>w:h:x:y</c> (expressions of iw and ih allowed),
    /// or of the whole frame. The path goes into a filter graph: a temporary file's name, without ':' ',' or quotes.
    /// </summary>
    public static async Task<IReadOnlyList<FrameColour>> FrameColoursAsync(string path, string? crop = null)
    {
        var graph = $"movie={path}{(crop is null ? "" : ",crop=" + crop)},signalstats";
        var json = await RunAsync("ffprobe",
        [
            "-v", "error", "-f", "lavfi", "-i", graph,
            "-show_entries", "frame=pts_time:frame_tags=lavfi.signalstats.YAVG,lavfi.signalstats.UAVG,lavfi.signalstats.VAVG",
            "-of", "json",
        ]);
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("frames").EnumerateArray().Select(frame =>
        {
            var tags = frame.GetProperty("tags");
            return new FrameColour(Seconds(frame, "pts_time"), Seconds(tags, "lavfi.signalstats.YAVG"),
                Seconds(tags, "lavfi.signalstats.UAVG"), Seconds(tags, "lavfi.signalstats.VAVG"));
        }).ToList();
    }

    private static double Seconds(JsonElement packet, string name) => double.Parse(packet.GetProperty(name).GetString()!, CultureInfo.InvariantCulture);

    private static async Task<string> RunAsync(string tool, string[] arguments, TimeSpan? limit = null)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start.");
        using var timeout = new CancellationTokenSource(limit ?? Timeout);
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', arguments)} ran longer than {limit ?? Timeout}.");
        }
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await errors}");
    }
}

/// <summary>A frame's time (seconds) and its mean luma and chroma, 0–255.</summary>
public sealed record FrameColour(double Time, double Y, double U, double V);
