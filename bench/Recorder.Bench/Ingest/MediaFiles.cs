using System.Diagnostics;
using Recorder.Testing.Media;

namespace Recorder.Bench.Ingest;

/// <summary>
/// A long recording made for the ingest benchmark; <see cref="ThumbnailOffset"/> is where the app's thumbnail search starts.
/// <paramref name="LastClusterBytes"/>: for a file of large Clusters, its last one, which the duration reader reads whole.
/// </summary>
public sealed record BenchMedia(string Name, string Path, string RecordingType, string MimeType, bool HasVideo, double Seconds,
    long LastClusterBytes = 0)
{
    public long Bytes => new FileInfo(Path).Length;

    // As ThumbnailMaker: 1 s in, or 10 % into shorter clips.
    public double ThumbnailOffset => Math.Min(1.0, Seconds / 10);
}

/// <summary>
/// The long recordings, made once with ffmpeg into bench/media/ (git-ignored) and reused: WebMs laid out as
/// Chrome's MediaRecorder writes them (no Duration, no Cues, Segment and Clusters of unknown size), an MP4 with
/// its moov at the end, a fragmented MP4 as Safari records, and the large-Cluster WebM: 67 MB in three 22 MB Clusters
/// (rare key frames).
/// </summary>
public static class MediaFiles
{
    public static async Task<IReadOnlyList<BenchMedia>> EnsureAsync(string folder)
    {
        Directory.CreateDirectory(folder);
        string In(string name) => System.IO.Path.Combine(folder, name);

        // 720p30 VP8 at 2.5 Mb/s (Chrome's default for 720p is about that) + 64 kb/s Opus, a key frame every 5 s.
        var camera60 = In("camera-60s.webm");
        if (!File.Exists(camera60))
        {
            var live = In("camera-60s.live.webm");
            await FfmpegAsync("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                "-t", "60", "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "2500k", "-g", "150",
                "-c:a", "libopus", "-b:a", "64k", "-f", "webm", "-live", "1", live);
            await File.WriteAllBytesAsync(camera60, ChromeWebmLayout.WithUnknownClusterSizes(await File.ReadAllBytesAsync(live)));
        }
        var camera600 = In("camera-10min.webm");
        if (!File.Exists(camera600))
        {
            var live = In("camera-10min.live.webm");
            await FfmpegAsync("-stream_loop", "9", "-i", In("camera-60s.live.webm"), "-c", "copy", "-f", "webm", "-live", "1", live);
            await File.WriteAllBytesAsync(camera600, ChromeWebmLayout.WithUnknownClusterSizes(await File.ReadAllBytesAsync(live)));
        }
        var mp4 = In("camera-60s-moov-at-end.mp4");
        if (!File.Exists(mp4))
        {
            // The mp4 muxer's default layout: ftyp, mdat, then moov (what a non-faststart recorder writes).
            await FfmpegAsync("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                "-t", "60", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "2500k", "-g", "150", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "64k", mp4);
        }
        var fragmented = In("camera-60s-fragmented.mp4");
        if (!File.Exists(fragmented))
        {
            // Safari's MediaRecorder layout: an empty moov, then a moof+mdat a second (its timeslice), no B-frames, no mfra.
            await FfmpegAsync("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "60",
                "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-b:v", "2500k", "-g", "30", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "64k", "-movflags", "frag_keyframe+empty_moov+default_base_moof+skip_trailer", fragmented);
        }
        var audio600 = In("audio-10min.webm");
        if (!File.Exists(audio600))
        {
            var live = In("audio-10min.live.webm");
            await FfmpegAsync("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "600",
                "-c:a", "libopus", "-b:a", "64k", "-f", "webm", "-live", "1", live);
            await File.WriteAllBytesAsync(audio600, ChromeWebmLayout.WithUnknownClusterSizes(await File.ReadAllBytesAsync(live)));
        }
        var large = await LargeClusterWebm.MakeAsync(In("large-clusters-66s.webm"), "640x360", 66, 22, "8M");
        return
        [
            new("60 s 720p Chrome-like WebM", camera60, "camera", "video/webm;codecs=vp8,opus", true, 60),
            new("10 min 720p Chrome-like WebM", camera600, "camera", "video/webm;codecs=vp8,opus", true, 600),
            new("60 s 720p MP4, moov at the end", mp4, "screen", "video/mp4", true, 60),
            new("60 s 720p Safari-like fragmented MP4, 1 s fragments", fragmented, "screen", "video/mp4", true, 60),
            new("10 min audio-only Chrome-like WebM", audio600, "audio", "audio/webm;codecs=opus", false, 600),
            new("66 s Chrome-like WebM, 22 MB Clusters", large.Path, "screen", "video/webm;codecs=vp8,opus", true, 66,
                large.Length - large.LastClusterOffset),
        ];
    }

    /// <summary>
    /// Short recordings, as most of a busy day's are: a 5 s 720p Chrome-like WebM and a 5 s 720p MP4 with its moov at the end,
    /// encoded as the long ones (the mixed-load benchmark ingests them at a steady rate).
    /// </summary>
    public static async Task<IReadOnlyList<BenchMedia>> ShortAsync(string folder)
    {
        Directory.CreateDirectory(folder);
        var webm = System.IO.Path.Combine(folder, "camera-5s.webm");
        if (!File.Exists(webm))
        {
            var live = System.IO.Path.Combine(folder, "camera-5s.live.webm");
            await FfmpegAsync("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "5",
                "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "2500k", "-g", "150",
                "-c:a", "libopus", "-b:a", "64k", "-f", "webm", "-live", "1", live);
            await File.WriteAllBytesAsync(webm, ChromeWebmLayout.WithUnknownClusterSizes(await File.ReadAllBytesAsync(live)));
        }
        var mp4 = System.IO.Path.Combine(folder, "camera-5s-moov-at-end.mp4");
        if (!File.Exists(mp4))
        {
            await FfmpegAsync("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "5",
                "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "2500k", "-g", "150", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "64k", mp4);
        }
        return
        [
            new("5 s 720p Chrome-like WebM", webm, "camera", "video/webm;codecs=vp8,opus", true, 5),
            new("5 s 720p MP4, moov at the end", mp4, "screen", "video/mp4", true, 5),
        ];
    }

    /// <summary>Runs ffmpeg quietly; its error output in the exception when it fails.</summary>
    internal static async Task FfmpegAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("ffmpeg", ["-nostdin", "-v", "error", "-y", .. arguments]) { RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg {string.Join(' ', arguments)} failed: {error}");
        }
    }
}
