using System.Globalization;
using Recorder.Bench.Ingest;
using Recorder.Testing.Media;

namespace Recorder.Bench.LiveUploads;

/// <summary>A Chrome-like recording of <see cref="Minutes"/> minutes for the live-upload benchmark.</summary>
public sealed record LiveMedia(int Minutes, string Path)
{
    public long Bytes => new FileInfo(Path).Length;

    public double Seconds => Minutes * 60;
}

/// <summary>
/// Recordings laid out as Chrome's MediaRecorder writes them (no Duration, no Cues, Segment and Clusters of unknown size),
/// made once into bench/media/ (git-ignored) and reused. One 60-second piece is encoded (720p30 VP8 at 2.5 Mb/s, about
/// Chrome's rate for 720p, + 64 kb/s Opus, a key frame every 5 s) and looped with <c>-c copy</c> to each length, so an
/// hour costs a copy, not an hour of encoding.
/// </summary>
public static class LiveMediaFiles
{
    public static async Task<LiveMedia> EnsureAsync(string folder, int minutes)
    {
        Directory.CreateDirectory(folder);
        var piece = System.IO.Path.Combine(folder, "live-piece-60s.live.webm");
        if (!File.Exists(piece))
        {
            var partial = piece + ".partial";
            await MediaFiles.FfmpegAsync("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                "-t", "60", "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "2500k", "-g", "150",
                "-c:a", "libopus", "-b:a", "64k", "-f", "webm", "-live", "1", partial);
            File.Move(partial, piece);
        }
        var path = System.IO.Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"live-{minutes}min.webm"));
        if (!File.Exists(path))
        {
            var looped = path + ".live.webm";
            await MediaFiles.FfmpegAsync("-stream_loop", (minutes - 1).ToString(CultureInfo.InvariantCulture), "-i", piece,
                "-c", "copy", "-f", "webm", "-live", "1", looped);
            // The layout is rewritten in memory: an hour at 2.5 Mb/s is about 1.2 GB, within one array.
            await File.WriteAllBytesAsync(path + ".partial",
                ChromeWebmLayout.WithUnknownClusterSizes(await File.ReadAllBytesAsync(looped)));
            File.Move(path + ".partial", path);
            File.Delete(looped);
        }
        return new LiveMedia(minutes, path);
    }
}
