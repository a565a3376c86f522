namespace Recorder.Core.Media.Webm;

/// <summary>
/// The duration of a WebM/Matroska file read by byte ranges. Chrome's MediaRecorder writes no
/// Duration and no Cues, and leaves the Segment and Cluster sizes unknown, so the length is where the
/// last Cluster's last block ends. That Cluster is found by searching the tail backwards for its ID
/// and proving each hit by parsing from it to the end of the file; a full scan is the fallback.
/// </summary>
public static class WebmDurationReader
{
    // Chrome starts a Cluster every second or so and at least every 32.767 s (the int16 block
    // timecode), so a few hundred kilobytes hold the last one unless the bitrate is very high.
    private const int InitialTail = 256 * 1024;
    private const int MaxTail = 1536 * 1024;
    private const int CacheSize = 2 * 1024 * 1024;
    private const int MinimumFetch = 64 * 1024;

    /// <summary>The duration, or null when the file is not WebM/Matroska or holds no timed block.</summary>
    public static async Task<WebmDuration?> ReadAsync(IRangeReader source, CancellationToken cancellationToken)
    {
        var before = source.BytesRead;
        var cache = new RangeCache(source, CacheSize, MinimumFetch);
        var head = await WebmHead.ReadAsync(cache, cancellationToken);
        if (head is null)
        {
            return null;
        }
        if (head.DurationTicks is { } ticks && ticks * head.TimecodeScaleNs / 100 < TimeSpan.MaxValue.Ticks)
        {
            return new WebmDuration(TimeSpan.FromTicks((long)(ticks * head.TimecodeScaleNs / 100)), WebmDuration.Header,
                source.BytesRead - before);
        }

        var method = WebmDuration.Tail;
        var (endNs, cutShort, tail) = await FromTailAsync(cache, head, cancellationToken);
        if (endNs is null)
        {
            method = WebmDuration.Scan;
            var scanCache = new RangeCache(new KnownTailReader(source, tail), CacheSize, MinimumFetch);
            (endNs, cutShort) = await ScanAsync(scanCache, head, cancellationToken);
        }
        return endNs is { } ns ? new WebmDuration(TimeSpan.FromTicks(Math.Max(0, ns) / 100), method, source.BytesRead - before, cutShort)
            : null;
    }

    /// <summary>
    /// The end of the last Cluster's blocks and whether the file is cut inside it, or null and the tail searched in vain.
    /// </summary>
    private static async Task<(long? EndNs, bool CutShort, ReadOnlyMemory<byte> Tail)> FromTailAsync(
        RangeCache cache, WebmHead head, CancellationToken cancellationToken)
    {
        // Hits at or after searchedFrom were disproved in an earlier, shorter tail.
        var searchedFrom = cache.Length;
        for (var size = InitialTail; ; size = Math.Min(size * 2, MaxTail))
        {
            var start = Math.Max(head.FirstClusterOffset, cache.Length - size);
            var tail = await cache.ReadAsync(start, (int)(cache.Length - start), cancellationToken);
            var region = tail[..(int)Math.Min(tail.Length, searchedFrom - start + MatroskaIds.ClusterBytes.Length - 1)];
            for (var hit = region.Span.LastIndexOf(MatroskaIds.ClusterBytes); hit >= 0;
                 hit = region.Span[..(hit + MatroskaIds.ClusterBytes.Length - 1)].LastIndexOf(MatroskaIds.ClusterBytes))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var cluster = await ClusterReader.ReadAsync(cache, start + hit, head, cancellationToken);
                if (cluster is { Blocks.Count: > 0 })
                {
                    var ends = new TrackEnds();
                    ends.Add(cluster.Blocks);
                    return (ends.EndNs, cluster.CutShort, tail);
                }
            }
            searchedFrom = start;
            if (start == head.FirstClusterOffset || size == MaxTail)
            {
                return (null, false, tail);
            }
        }
    }

    private static async Task<(long? EndNs, bool CutShort)> ScanAsync(RangeCache cache, WebmHead head, CancellationToken cancellationToken)
    {
        var ends = new TrackEnds();
        var cutShort = false;
        var position = head.FirstClusterOffset;
        while (position < cache.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var bytes = await cache.ReadAsync(position, Ebml.MaxHeaderLength, cancellationToken);
            if (Ebml.ReadHeader(bytes.Span, out var element) != EbmlStatus.Ok)
            {
                break;
            }
            if (element.Id == MatroskaIds.Cluster)
            {
                var cluster = await ClusterReader.ReadAsync(cache, position, head, cancellationToken);
                if (cluster is null)
                {
                    break;
                }
                ends.Add(cluster.Blocks);
                cutShort = cluster.CutShort;
                if (cluster.NextOffset is not { } next)
                {
                    break;
                }
                position = next;
            }
            else if (element.IsUnknownSize)
            {
                break;
            }
            else
            {
                position += element.Length + element.Size;
            }
        }
        return (ends.EndNs, cutShort);
    }
}
