namespace Recorder.Core.Media.Mp4;

/// <summary>
/// Finds a fragmented MP4's last whole moof by reading the file once, backwards from its end (<see cref="BackwardScan"/>), as
/// <see cref="Webm.LastClusterSearch"/> does for WebM: every position from which top-level boxes follow one another to
/// the end of the file (or past it: cut) is noted, and the first moof met that way that parses strictly, on tracks the moov
/// declared, is the last one. Its samples, and its track decode times, say where the whole fragments end.
/// </summary>
internal sealed class LastFragmentSearch
{
    private const double MaxSeconds = 1e8;

    // Positions from which boxes follow one another to the end of the file, and whether that chain runs past it (cut).
    private readonly Dictionary<long, bool> _cutFrom = [];
    private readonly FragmentedMp4Head _head;
    private readonly long _length;

    private LastFragmentSearch(FragmentedMp4Head head, long length) => (_head, _length) = (head, length);

    public static async Task<(TimeSpan? Duration, bool Truncated)?> FindAsync(
        IRangeReader source, FragmentedMp4Head head, CancellationToken cancellationToken)
    {
        var search = new LastFragmentSearch(head, source.Length);
        (TimeSpan?, bool)? found = null;
        await BackwardScan.RunAsync(source, head.FragmentsOffset,
            (at, position) => (found = search.Visit(at, position)) is not null, cancellationToken);
        return found;
    }

    /// <summary>Notes the box at <paramref name="position"/> if boxes reach the end from it; the result once the last moof is.</summary>
    private (TimeSpan?, bool)? Visit(ReadOnlySpan<byte> at, long position)
    {
        var toEnd = _length - position;
        if (toEnd < 8)
        {
            // Too short for a box header: the file was cut inside one.
            _cutFrom[position] = true;
            return null;
        }
        if (!Mp4Box.TryRead(at, toEnd, out var box) || !Mp4Box.IsTopLevel(box.Type))
        {
            return null;
        }
        var next = position + box.Size;
        bool cut;
        if (next > _length)
        {
            cut = true;
        }
        else if (next == _length)
        {
            cut = false;
        }
        else if (!_cutFrom.TryGetValue(next, out cut))
        {
            return null;
        }
        _cutFrom[position] = cut;
        if (box.Type != Mp4Box.Moof || next > _length || box.Size > at.Length)
        {
            return null;
        }
        return Mp4Fragment.Parse(at[..(int)box.Size], position, _head.Tracks) is { } fragment ? (End(fragment), cut) : null;
    }

    /// <summary>
    /// Where the fragments end up to this one: after its samples when all of them are in the file, else where it starts
    /// (each track's tfdt), since a fragment is whole or not at all. The latest track end is the duration; null without tfdt.
    /// </summary>
    private TimeSpan? End(Mp4Fragment fragment)
    {
        var whole = fragment.Tracks.All(run => run.DataEnd <= _length);
        double? seconds = null;
        foreach (var run in fragment.Tracks)
        {
            if (run.BaseDecodeTime is { } decodeTime)
            {
                var track = _head.Tracks[run.Id];
                var endTicks = decodeTime + (whole ? run.Duration : 0);
                seconds = Math.Max(seconds ?? 0, (double)endTicks / track.Timescale + track.StartSeconds);
            }
        }
        // Decode times a crafted file makes absurd (beyond any recording's length) say nothing.
        return seconds is { } value && value < MaxSeconds ? TimeSpan.FromSeconds(Math.Max(0, value)) : null;
    }
}
