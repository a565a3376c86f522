namespace Recorder.Core.Media.Webm;

/// <summary>One block: its track, when it starts, and how long it lasts when the file says so.</summary>
internal readonly record struct WebmBlock(ulong Track, long StartNs, long? DurationNs);

/// <summary>
/// Where each track ends: its latest block's start plus that block's duration. When the file does not
/// say how long the block lasts, the typical spacing of the track's recent blocks stands in for it.
/// </summary>
internal sealed class TrackEnds
{
    private const int RecentBlocks = 16;

    private readonly Dictionary<ulong, Track> _tracks = [];

    public void Add(IEnumerable<WebmBlock> blocks)
    {
        foreach (var block in blocks)
        {
            if (!_tracks.TryGetValue(block.Track, out var track))
            {
                _tracks[block.Track] = track = new Track();
            }
            track.Add(block);
        }
    }

    /// <summary>The latest end over all tracks, null when no block was added.</summary>
    public long? EndNs => _tracks.Count == 0 ? null : _tracks.Values.Max(track => track.EndNs);

    private sealed class Track
    {
        private readonly Queue<long> _recentStarts = new();
        private WebmBlock _latest = new(0, long.MinValue, null);

        public long EndNs => _latest.StartNs + (_latest.DurationNs ?? TypicalSpacing());

        public void Add(WebmBlock block)
        {
            // Blocks come in decode order; with reordered frames the latest start is not the last block.
            if (block.StartNs >= _latest.StartNs)
            {
                _latest = block;
            }
            _recentStarts.Enqueue(block.StartNs);
            if (_recentStarts.Count > RecentBlocks)
            {
                _recentStarts.Dequeue();
            }
        }

        private long TypicalSpacing()
        {
            var starts = _recentStarts.Order().ToArray();
            var spacings = starts.Zip(starts.Skip(1), (earlier, later) => later - earlier).Where(spacing => spacing > 0).Order().ToArray();
            return spacings.Length == 0 ? 0 : spacings[spacings.Length / 2];
        }
    }
}
