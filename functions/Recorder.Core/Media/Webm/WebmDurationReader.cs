namespace Recorder.Core.Media.Webm;

/// <summary>
/// The duration of a WebM/Matroska file read by byte ranges. Chrome's MediaRecorder writes no Duration and no Cues, and
/// leaves the Segment and Cluster sizes unknown, so the length is where the last Cluster's last block ends; that Cluster
/// is found by reading the file backwards from its end, once (<see cref="LastClusterSearch"/>).
/// </summary>
public static class WebmDurationReader
{
    private const int CacheSize = 2 * 1024 * 1024;
    private const int MinimumFetch = 64 * 1024;

    /// <summary>The duration, or null when the file is not WebM/Matroska or holds no timed block.</summary>
    public static async Task<WebmDuration?> ReadAsync(IRangeReader source, CancellationToken cancellationToken)
    {
        var before = source.BytesRead;
        var head = await WebmHead.ReadAsync(new RangeCache(source, CacheSize, MinimumFetch), cancellationToken);
        if (head is null)
        {
            return null;
        }
        if (head.DurationTicks is { } ticks && ticks * head.TimecodeScaleNs / 100 < TimeSpan.MaxValue.Ticks)
        {
            return new WebmDuration(TimeSpan.FromTicks((long)(ticks * head.TimecodeScaleNs / 100)), WebmDuration.Header,
                source.BytesRead - before);
        }

        var last = await LastClusterSearch.FindAsync(new KnownPrefixReader(source, head.Bytes), head, cancellationToken);
        if (last is null)
        {
            return null;
        }
        var ends = new TrackEnds();
        ends.Add(last.Blocks);
        return ends.EndNs is { } ns
            ? new WebmDuration(TimeSpan.FromTicks(Math.Max(0, ns) / 100), WebmDuration.Tail, source.BytesRead - before, last.CutShort)
            : null;
    }
}
