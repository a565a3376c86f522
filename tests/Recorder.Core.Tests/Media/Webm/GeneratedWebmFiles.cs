using Recorder.Testing.Media;
using Xunit;

namespace Recorder.Core.Tests.Media.Webm;

/// <summary>A WebM file made at test time, with ffprobe's view of it.</summary>
public sealed record GeneratedWebm(string Path, TimeSpan PacketEnd, string FormatDuration);

/// <summary>
/// WebM files too large to commit, made in about a second into a temporary folder:
/// ten-minute recordings with no Duration and no Cues (one as ffmpeg writes live WebM, one with
/// Chrome's unknown-size Clusters) and one whose single Cluster is larger than the tail search.
/// </summary>
public sealed class GeneratedWebmFiles : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("recorder-webm-").FullName;

    /// <summary>chrome-camera.webm looped 120 times (10 min) by `ffmpeg -c copy -f webm -live 1`: known-size Clusters, no Duration, no Cues.</summary>
    public GeneratedWebm LongLive { get; private set; } = null!;

    /// <summary><see cref="LongLive"/> with every Cluster size rewritten to "unknown", as Chrome's MediaRecorder leaves them.</summary>
    public GeneratedWebm LongChromeLike { get; private set; } = null!;

    /// <summary>30 s of 510 kb/s Opus in one 1.9 MB Cluster: no Cluster starts in the last 1.5 MB.</summary>
    public GeneratedWebm BigCluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var longLive = Path.Combine(_folder, "long-live.webm");
        await MediaTools.FfmpegAsync("-stream_loop", "119", "-i", MediaFixtures.PathOf("chrome-camera.webm"), "-c", "copy", "-f", "webm", "-live", "1", longLive);
        LongLive = await MeasureAsync(longLive);

        var chromeLike = Path.Combine(_folder, "long-chrome-like.webm");
        await File.WriteAllBytesAsync(chromeLike, ChromeWebmLayout.WithUnknownClusterSizes(await File.ReadAllBytesAsync(longLive)));
        LongChromeLike = await MeasureAsync(chromeLike);

        var bigCluster = Path.Combine(_folder, "big-cluster.webm");
        await MediaTools.FfmpegAsync(
            "-f", "lavfi", "-i", "anoisesrc=color=white:sample_rate=48000:amplitude=0.5", "-t", "30", "-ac", "2",
            "-c:a", "libopus", "-b:a", "510k", "-vbr", "off", "-cluster_time_limit", "32000", "-cluster_size_limit", "50M",
            "-f", "webm", "-live", "1", bigCluster);
        BigCluster = await MeasureAsync(bigCluster);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    private static async Task<GeneratedWebm> MeasureAsync(string path)
        => new(path, await MediaTools.PacketEndAsync(path), await MediaTools.FormatDurationAsync(path));
}
