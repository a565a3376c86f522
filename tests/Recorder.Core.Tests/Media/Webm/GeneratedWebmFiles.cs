using Recorder.Core.Media.Webm;
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
        await File.WriteAllBytesAsync(chromeLike, WithUnknownClusterSizes(await File.ReadAllBytesAsync(longLive)));
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

    /// <summary>
    /// Overwrites each Cluster's size with the all-ones value of the same length: the layout of a
    /// Chrome recording, whose muxer never goes back to fill sizes in.
    /// </summary>
    private static byte[] WithUnknownClusterSizes(byte[] file)
    {
        Ebml.ReadHeader(file, out var ebml);
        var position = (long)ebml.Length + ebml.Size;
        Ebml.ReadHeader(file.AsSpan((int)position), out var segment);
        position += segment.Length;
        while (position < file.Length && Ebml.ReadHeader(file.AsSpan((int)position), out var element) == EbmlStatus.Ok)
        {
            if (element.Id == 0x1F43B675)
            {
                var sizeAt = (int)position + 4;
                var sizeLength = element.Length - 4;
                file[sizeAt] = (byte)(0xFF >> (sizeLength - 1));
                file.AsSpan(sizeAt + 1, sizeLength - 1).Fill(0xFF);
            }
            position += element.Length + element.Size;
        }
        return file;
    }
}
