namespace Recorder.Core.Media.Webm;

/// <summary>
/// The last Cluster's blocks. <paramref name="CutShort"/>: the file ends inside an element, or before a sized Cluster's end.
/// </summary>
internal sealed record LastCluster(IReadOnlyList<WebmBlock> Blocks, bool CutShort);

/// <summary>
/// Finds the last Cluster by reading the file once, backwards from its end (<see cref="BackwardScan"/>). Every position from which
/// elements follow one another, header after header, to the end of the file is noted with what its element holds. The
/// first Cluster met that way that opens with its Timecode and holds only what a Cluster holds, each block on a track the
/// head declared, is the last one: the same four ID bytes inside compressed media are not. The file is read from its end
/// back to that Cluster's start and no further, whatever the Cluster's size, and no byte twice.
/// </summary>
internal sealed class LastClusterSearch
{
    // Enough for any element header plus a block header and the first payload bytes.
    private const int Peek = 64;

    private readonly Dictionary<long, Link> _links = [];
    private readonly WebmHead _head;
    private readonly long _length;

    private LastClusterSearch(WebmHead head, long length) => (_head, _length) = (head, length);

    private enum Kind
    {
        Child,
        Timecode,
        Cluster,
        TopLevel,
    }

    /// <summary>
    /// An element from which elements reach the end of the file. <paramref name="Cut"/>: the file ends inside it; a chain
    /// stops there.
    /// </summary>
    private readonly record struct Link(Kind Kind, long Next, bool Cut = false, long Timecode = 0, BlockHeader? Block = null);

    /// <summary>What a block says before its cluster's timecode is known: its time is relative to it.</summary>
    private readonly record struct BlockHeader(ulong Track, short Relative, long? DurationNs);

    private readonly record struct ParsedBlock(BlockHeader? Block, bool IsInvalid);

    /// <summary>The last Cluster holding a block, or null when none does.</summary>
    public static async Task<LastCluster?> FindAsync(IRangeReader source, WebmHead head, CancellationToken cancellationToken)
    {
        var search = new LastClusterSearch(head, source.Length);
        LastCluster? found = null;
        await BackwardScan.RunAsync(source, head.FirstClusterOffset,
            (at, position) => (found = search.Visit(at, position)) is not null, cancellationToken);
        return found;
    }

    /// <summary>Notes the element at <paramref name="position"/> if elements reach the end from it; the last Cluster once found.</summary>
    private LastCluster? Visit(ReadOnlySpan<byte> at, long position)
    {
        var status = Ebml.ReadHeader(at, out var element);
        if (status == EbmlStatus.Truncated && position + at.Length == _length)
        {
            // Part of a header at the very end: the file was cut there.
            _links[position] = new Link(Kind.Child, _length, Cut: true);
            return null;
        }
        if (status != EbmlStatus.Ok || element.IsUnknownSize && element.Id != MatroskaIds.Cluster)
        {
            return null;
        }
        var next = position + element.Length + element.Size;
        var body = at[element.Length..];
        switch (element.Id)
        {
            case MatroskaIds.Cluster:
                return VisitCluster(position, element);
            case MatroskaIds.Timecode:
                if (element.Size <= Math.Min(8, body.Length) && Reaches(next)
                    && Ebml.TryReadUnsigned(body[..(int)element.Size], out var timecode)
                    && timecode <= (ulong)(long.MaxValue / _head.TimecodeScaleNs / 2))
                {
                    _links[position] = new Link(Kind.Timecode, next, Timecode: (long)timecode);
                }
                return null;
            case MatroskaIds.SimpleBlock:
                var parsed = ParseBlock(body, element.Size, blockDurationTicks: null);
                if (!parsed.IsInvalid)
                {
                    Note(position, next, parsed.Block);
                }
                return null;
            case MatroskaIds.BlockGroup:
                // A group is parsed whole, within the two chunks at hand; Chrome writes none, ffmpeg small ones.
                if (next > _length)
                {
                    Note(position, next, block: null);
                }
                else if (next - position <= at.Length && ParseGroup(body[..(int)element.Size]) is { } grouped)
                {
                    Note(position, next, grouped);
                }
                return null;
            case MatroskaIds.Void or MatroskaIds.Crc32 or MatroskaIds.Position or MatroskaIds.PrevSize
                or MatroskaIds.SilentTracks or MatroskaIds.EncryptedBlock:
                Note(position, next, block: null);
                return null;
            case MatroskaIds.Cues or MatroskaIds.Tags or MatroskaIds.Chapters or MatroskaIds.Attachments or MatroskaIds.SeekHead:
                if (next <= _length && Reaches(next))
                {
                    _links[position] = new Link(Kind.TopLevel, next);
                }
                return null;
            default:
                return null;
        }
    }

    /// <summary>A Cluster's child: cut by the end of the file, or followed by elements that reach it.</summary>
    private void Note(long position, long next, BlockHeader? block)
    {
        if (next > _length)
        {
            _links[position] = new Link(Kind.Child, _length, Cut: true);
        }
        else if (Reaches(next))
        {
            _links[position] = new Link(Kind.Child, next, Block: block);
        }
    }

    private bool Reaches(long position) => position == _length || _links.ContainsKey(position);

    /// <summary>
    /// Walks the Cluster's children from its Timecode through the noted chain: the Cluster with its blocks if it is one, and
    /// noted as an end for an earlier Cluster if it holds no block.
    /// </summary>
    private LastCluster? VisitCluster(long position, EbmlHeader cluster)
    {
        var childrenAt = position + cluster.Length;
        var end = cluster.IsUnknownSize ? long.MaxValue : childrenAt + cluster.Size;
        if (childrenAt >= _length || _links.TryGetValue(childrenAt, out var cut) && cut.Cut)
        {
            // The file ends in its header or first child: an earlier Cluster ends here, cut short.
            _links[position] = new Link(Kind.Cluster, _length, Cut: true);
            return null;
        }
        if (!_links.TryGetValue(childrenAt, out var first) || first.Kind != Kind.Timecode || end < _length && !Reaches(end))
        {
            return null;
        }

        var blocks = new List<WebmBlock>();
        var cutShort = end != long.MaxValue && end > _length;
        var at = first.Next;
        while (at < Math.Min(end, _length))
        {
            var link = _links[at];
            if (link.Kind is Kind.Cluster or Kind.TopLevel)
            {
                if (end != long.MaxValue)
                {
                    return null;
                }
                // An unknown-size Cluster ends where the next top-level element starts.
                cutShort = link.Cut;
                break;
            }
            if (link.Kind == Kind.Timecode || link.Next > end)
            {
                return null;
            }
            if (link.Cut)
            {
                cutShort = true;
                break;
            }
            if (link.Block is { } block)
            {
                _head.Tracks.TryGetValue(block.Track, out var track);
                blocks.Add(new WebmBlock(block.Track, _head.ToNanoseconds(first.Timecode + block.Relative) - (track?.CodecDelayNs ?? 0),
                    block.DurationNs));
            }
            at = link.Next;
        }
        if (end != long.MaxValue && !cutShort && at != end)
        {
            return null;
        }
        if (blocks.Count > 0)
        {
            return new LastCluster(blocks, cutShort);
        }
        _links[position] = new Link(Kind.Cluster, end == long.MaxValue ? at : end, Cut: cutShort);
        return null;
    }

    /// <summary>A BlockGroup held whole: its Block, timed by its BlockDuration if it has one.</summary>
    private BlockHeader? ParseGroup(ReadOnlySpan<byte> group)
    {
        ReadOnlySpan<byte> block = default;
        long blockSize = -1;
        long? durationTicks = null;
        for (var at = 0; at < group.Length;)
        {
            if (Ebml.ReadHeader(group[at..], out var child) != EbmlStatus.Ok || child.IsUnknownSize
                || child.Size > group.Length - at - child.Length)
            {
                return null;
            }
            var value = group.Slice(at + child.Length, (int)child.Size);
            if (child.Id == MatroskaIds.Block)
            {
                block = value;
                blockSize = child.Size;
            }
            else if (child.Id == MatroskaIds.BlockDuration && child.Size <= 8 && Ebml.TryReadUnsigned(value, out var ticks)
                && ticks <= int.MaxValue)
            {
                durationTicks = (long)ticks;
            }
            at += child.Length + (int)child.Size;
        }
        return blockSize < 0 ? null : ParseBlock(block, blockSize, durationTicks).Block;
    }

    /// <summary>
    /// A Block or SimpleBlock from the start of its data (<paramref name="body"/> may hold only its first bytes): track number,
    /// timecode relative to the Cluster, flags. Too few bytes to tell is not invalid; a track the head did not declare is.
    /// </summary>
    private ParsedBlock ParseBlock(ReadOnlySpan<byte> body, long size, long? blockDurationTicks)
    {
        body = body[..(int)Math.Min(Math.Min(body.Length, Peek), size)];
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
        _head.Tracks.TryGetValue((ulong)track, out var declared);
        if (_head.Tracks.Count > 0 && declared is null)
        {
            return new ParsedBlock(null, IsInvalid: true);
        }

        var relative = (short)((body[trackLength] << 8) | body[trackLength + 1]);
        var flags = body[trackLength + 2];
        var payload = body[(trackLength + 3)..];
        var laced = (flags & 0x06) != 0;
        var frames = laced ? (payload.IsEmpty ? 1 : payload[0] + 1) : 1;
        var durationNs = blockDurationTicks is { } ticks ? _head.ToNanoseconds(ticks)
            : declared is { IsOpus: true } && !laced ? OpusPacket.DurationNs(payload)
            : declared?.DefaultDurationNs * frames;
        return new ParsedBlock(new BlockHeader((ulong)track, relative, durationNs), IsInvalid: false);
    }
}
