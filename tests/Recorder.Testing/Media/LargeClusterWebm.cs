using System.Globalization;

namespace Recorder.Testing.Media;

/// <summary>A recording with Chrome's layout and Clusters of megabytes, and where its last Cluster starts.</summary>
public sealed record LargeClusterWebm(string Path, long Length, long LastClusterOffset)
{
    /// <summary>
    /// Chrome starts a Cluster at a key frame or after 32.767 s, so rare key frames make large Clusters. This is VP8 noise
    /// (incompressible, so the bit rate is what is asked) with a key frame every <paramref name="keyFrameSeconds"/>, and
    /// Opus, written by ffmpeg as live WebM (no Duration, no Cues) with every Cluster's size then made unknown.
    /// </summary>
    public static async Task<LargeClusterWebm> MakeAsync(
        string path, string frameSize, int seconds, int keyFrameSeconds, string videoBitRate)
    {
        var live = path + ".live.webm";
        // Noise encodes slowly: about a second a second of media on a busy 2-CPU machine.
        await MediaTools.FfmpegAsync(TimeSpan.FromSeconds(Math.Max(60, 5 * seconds)),
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", frameSize, "-r", "15", "-i", "/dev/urandom",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", seconds.ToString(CultureInfo.InvariantCulture),
            "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "16", "-b:v", videoBitRate, "-g", "100000",
            "-force_key_frames", $"expr:gte(t,n_forced*{keyFrameSeconds})", "-c:a", "libopus", "-b:a", "64k",
            "-cluster_time_limit", "32000", "-cluster_size_limit", "1000M", "-f", "webm", "-live", "1", live);
        var bytes = await File.ReadAllBytesAsync(live);
        File.Delete(live);
        var lastCluster = ChromeWebmLayout.ClusterOffsets(bytes)[^1];
        await File.WriteAllBytesAsync(path, ChromeWebmLayout.WithUnknownClusterSizes(bytes));
        return new LargeClusterWebm(path, bytes.Length, lastCluster);
    }
}
