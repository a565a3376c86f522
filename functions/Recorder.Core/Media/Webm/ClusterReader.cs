namespace Recorder.Core.Media.Webm;

/// <summary>
/// A cluster's blocks, and where the element after it starts (null when the file ends inside it).
/// <paramref name="CutShort"/>: the file ends inside an element, or before a sized Cluster's end.
/// </summary>
internal sealed record WebmCluster(IReadOnlyList<WebmBlock> Blocks, long? NextOffset, bool CutShort);

/// <summary>
/// Reads one Cluster from its ID on, strictly: Timecode first, then only the elements a Cluster
/// holds, each block on a track the head declared, every child inside the Cluster's size. That is
/// what tells a real Cluster from the same four ID bytes inside compressed media. A file cut short
/// ends the Cluster where the last whole element ends.
/// </summary>
internal static class ClusterReader
{
    // Enough for any element header plus a block header and the first payload bytes.
    private const int Peek = 64;

    public static async Task<WebmCluster?> ReadAsync(RangeCache cache, long position, WebmHead head, CancellationToken cancellationToken)
    {
        var bytes = await cache.ReadAsync(position, Ebml.MaxHeaderLength, cancellationToken);
        if (Ebml.ReadHeader(bytes.Span, out var cluster) != EbmlStatus.Ok || cluster.Id != MatroskaIds.Cluster)
        {
            return null;
        }

        var end = cluster.IsUnknownSize ? long.MaxValue : position + cluster.Length + cluster.Size;
        var at = position + cluster.Length;
        long? timecode = null;
        var blocks = new List<WebmBlock>();
        while (at < end)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bytes = await cache.ReadAsync(at, Peek, cancellationToken);
            var status = Ebml.ReadHeader(bytes.Span, out var child);
            if (status == EbmlStatus.Truncated)
            {
                // Nothing left is a clean end only for an unknown-size Cluster (Chrome's); part of a header never is.
                return Ended(blocks, timecode, next: null, cutShort: bytes.Length > 0 || !cluster.IsUnknownSize);
            }
            if (status == EbmlStatus.Invalid)
            {
                return null;
            }
            if (cluster.IsUnknownSize && MatroskaIds.IsTopLevel(child.Id))
            {
                return Ended(blocks, timecode, next: at, cutShort: false);
            }
            if (child.IsUnknownSize)
            {
                return null;
            }

            var childEnd = at + child.Length + child.Size;
            if (childEnd > end)
            {
                return null;
            }
            var whole = childEnd <= cache.Length;
            var body = bytes[child.Length..];
            switch (child.Id)
            {
                case MatroskaIds.Timecode:
                    if (timecode is not null || !whole || child.Size > 8
                        || !Ebml.TryReadUnsigned(body.Span[..(int)child.Size], out var value)
                        || value > (ulong)(long.MaxValue / head.TimecodeScaleNs / 2))
                    {
                        return null;
                    }
                    timecode = (long)value;
                    break;
                case MatroskaIds.SimpleBlock:
                    if (timecode is not { } simpleTimecode)
                    {
                        return null;
                    }
                    var parsed = ReadBlock(body.Span, child.Size, simpleTimecode, blockDurationTicks: null, head);
                    if (parsed.IsInvalid)
                    {
                        return null;
                    }
                    if (!whole || parsed.Block is not { } simple)
                    {
                        return Ended(blocks, timecode, next: null, cutShort: !whole);
                    }
                    blocks.Add(simple);
                    break;
                case MatroskaIds.BlockGroup:
                    if (timecode is not { } groupTimecode)
                    {
                        return null;
                    }
                    if (!whole)
                    {
                        return Ended(blocks, timecode, next: null, cutShort: true);
                    }
                    var group = await ReadGroupAsync(cache, at + child.Length, childEnd, groupTimecode, head, cancellationToken);
                    if (group is not { } grouped)
                    {
                        return null;
                    }
                    blocks.Add(grouped);
                    break;
                case MatroskaIds.Void or MatroskaIds.Crc32 or MatroskaIds.Position or MatroskaIds.PrevSize
                    or MatroskaIds.SilentTracks or MatroskaIds.EncryptedBlock:
                    if (!whole)
                    {
                        return Ended(blocks, timecode, next: null, cutShort: true);
                    }
                    break;
                default:
                    return null;
            }
            at = childEnd;
        }
        return Ended(blocks, timecode, next: end, cutShort: false);
    }

    private static WebmCluster? Ended(List<WebmBlock> blocks, long? timecode, long? next, bool cutShort)
        => timecode is null ? null : new WebmCluster(blocks, next, cutShort);

    /// <summary>A BlockGroup held whole in the file: its Block, timed by its BlockDuration if it has one.</summary>
    private static async Task<WebmBlock?> ReadGroupAsync(
        RangeCache cache, long start, long end, long timecode, WebmHead head, CancellationToken cancellationToken)
    {
        long? blockAt = null;
        long blockSize = 0;
        long? durationTicks = null;
        for (var at = start; at < end;)
        {
            var bytes = await cache.ReadAsync(at, Peek, cancellationToken);
            if (Ebml.ReadHeader(bytes.Span, out var child) != EbmlStatus.Ok || child.IsUnknownSize || at + child.Length + child.Size > end)
            {
                return null;
            }
            if (child.Id == MatroskaIds.Block)
            {
                (blockAt, blockSize) = (at + child.Length, child.Size);
            }
            else if (child.Id == MatroskaIds.BlockDuration && child.Size <= 8
                && Ebml.TryReadUnsigned(bytes.Span.Slice(child.Length, (int)child.Size), out var ticks)
                && ticks <= int.MaxValue)
            {
                durationTicks = (long)ticks;
            }
            at += child.Length + child.Size;
        }
        if (blockAt is not { } blockStart)
        {
            return null;
        }
        var body = await cache.ReadAsync(blockStart, Peek, cancellationToken);
        return ReadBlock(body.Span, blockSize, timecode, durationTicks, head).Block;
    }

    private readonly record struct ParsedBlock(WebmBlock? Block, bool IsInvalid);

    /// <summary>
    /// A Block or SimpleBlock from the start of its data (<paramref name="body"/> may hold only its
    /// first bytes): track number, timecode relative to the Cluster, flags. Too few bytes to tell is
    /// not invalid; a track the head did not declare is.
    /// </summary>
    private static ParsedBlock ReadBlock(ReadOnlySpan<byte> body, long size, long clusterTimecode, long? blockDurationTicks, WebmHead head)
    {
        body = body[..(int)Math.Min(body.Length, size)];
        var status = Ebml.ReadSize(body, out var track, out var trackLength);
        var allHere = body.Length == size;
        if (status == EbmlStatus.Invalid || status == EbmlStatus.Truncated && allHere
            || status == EbmlStatus.Ok && (track <= 0 || size <= trackLength + 3))
        {
            return new ParsedBlock(null, IsInvalid: true);
        }
        if (status == EbmlStatus.Truncated || body.Length < trackLength + 3)
        {
            return new ParsedBlock(null, IsInvalid: false);
        }
        head.Tracks.TryGetValue((ulong)track, out var declared);
        if (head.Tracks.Count > 0 && declared is null)
        {
            return new ParsedBlock(null, IsInvalid: true);
        }

        var relative = (short)((body[trackLength] << 8) | body[trackLength + 1]);
        var flags = body[trackLength + 2];
        var payload = body[(trackLength + 3)..];
        var laced = (flags & 0x06) != 0;
        var frames = laced ? (payload.IsEmpty ? 1 : payload[0] + 1) : 1;
        var durationNs = blockDurationTicks is { } ticks ? head.ToNanoseconds(ticks)
            : declared is { IsOpus: true } && !laced ? OpusPacket.DurationNs(payload)
            : declared?.DefaultDurationNs * frames;
        var startNs = head.ToNanoseconds(clusterTimecode + relative) - (declared?.CodecDelayNs ?? 0);
        return new ParsedBlock(new WebmBlock((ulong)track, startNs, durationNs), IsInvalid: false);
    }
}
