using Recorder.Testing.Media;
using Xunit;

namespace Recorder.Core.Tests.Media.Webm;

/// <summary>A WebM file made at test time, with ffprobe's view of it and where its last Cluster starts.</summary>
public sealed record GeneratedWebm(string Path, TimeSpan PacketEnd, string FormatDuration, long LastClusterOffset);

/// <summary>
/// WebM files too large to commit, made in about a second into a temporary folder:
/// ten-minute recordings with no Duration and no Cues (one as ffmpeg writes live WebM, one with
/// Chrome's unknown-size Clusters), one whose single Cluster is larger than the first chunk read, and a
/// video recording with Chrome's layout whose Clusters are megabytes each.
/// </summary>
public sealed class GeneratedWebmFiles : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("recorder-webm-").FullName;

    /// <summary>chrome-camera.webm looped 120 times (10 min) by `ffmpeg -c copy -f webm -live 1`: known-size Clusters, no Duration, no Cues.</summary>
    public GeneratedWebm LongLive { get; private set; } = null!;

    /// <summary><see cref="LongLive"/> with every Cluster size rewritten to "unknown", as Chrome's MediaRecorder leaves them.</summary>
    public GeneratedWebm LongChromeLike { get; private set; } = null!;

    /// <summary>30 s of 510 kb/s Opus in one 1.9 MB Cluster.</summary>
    public GeneratedWebm BigCluster { get; private set; } = null!;

    /// <summary>21 s of 3 Mb/s VP8 and Opus in three Clusters of 2.8 MB, Chrome's layout (<see cref="LargeClusterWebm"/>).</summary>
    public GeneratedWebm LargeClusters { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var longLive = Path.Combine(_folder, "long-live.webm");
        await MediaTools.FfmpegAsync("-stream_loop", "119", "-i", MediaFixtures.PathOf("chrome-camera.webm"), "-c", "copy", "-f", "webm", "-live", "1", longLive);
        var liveBytes = await File.ReadAllBytesAsync(longLive);
        LongLive = await MeasureAsync(longLive, ChromeWebmLayout.ClusterOffsets(liveBytes)[^1]);

        var chromeLike = Path.Combine(_folder, "long-chrome-like.webm");
        await File.WriteAllBytesAsync(chromeLike, ChromeWebmLayout.WithUnknownClusterSizes(liveBytes));
        LongChromeLike = await MeasureAsync(chromeLike, LongLive.LastClusterOffset);

        var bigCluster = Path.Combine(_folder, "big-cluster.webm");
        await MediaTools.FfmpegAsync(
            "-f", "lavfi", "-i", "anoisesrc=color=white:sample_rate=48000:amplitude=0.5", "-t", "30", "-ac", "2",
            "-c:a", "libopus", "-b:a", "510k", "-vbr", "off", "-cluster_time_limit", "32000", "-cluster_size_limit", "50M",
            "-f", "webm", "-live", "1", bigCluster);
        BigCluster = await MeasureAsync(bigCluster, ChromeWebmLayout.ClusterOffsets(await File.ReadAllBytesAsync(bigCluster))[^1]);

        var large = await LargeClusterWebm.MakeAsync(Path.Combine(_folder, "large-clusters.webm"), "160x120", 21, 7, "3M");
        LargeClusters = await MeasureAsync(large.Path, large.LastClusterOffset);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    private static async Task<GeneratedWebm> MeasureAsync(string path, long lastClusterOffset)
        => new(path, await MediaTools.PacketEndAsync(path), await MediaTools.FormatDurationAsync(path), lastClusterOffset);
}
