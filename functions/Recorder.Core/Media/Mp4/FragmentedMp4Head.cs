using System.Buffers.Binary;

namespace Recorder.Core.Media.Mp4;

/// <summary>
/// A track of a fragmented MP4 as its moov declares it. <paramref name="StartSeconds"/>: where its presentation starts
/// against its decode times (an edit list's delay and shift, and the first sample's composition offset, which B-frames give).
/// </summary>
internal sealed record Mp4Track(uint Id, uint Timescale, uint DefaultDuration, uint DefaultSize, double StartSeconds);

/// <summary>
/// The moov of a fragmented MP4 (one with mvex, as MediaRecorder in Safari writes: an empty moov up front, then moof+mdat
/// fragments): its tracks, and where the fragments start.
/// </summary>
internal sealed record FragmentedMp4Head(IReadOnlyDictionary<uint, Mp4Track> Tracks, long FragmentsOffset)
{
    /// <summary>
    /// Reads the boxes at the start of <paramref name="head"/> (the file's first bytes): null unless a moov with mvex lies
    /// whole inside it. A fragmented file's moov holds no sample tables and is small; a larger one is not fragmented.
    /// </summary>
    public static FragmentedMp4Head? Parse(ReadOnlySpan<byte> head, long length)
    {
        for (var at = 0L; at < head.Length;)
        {
            if (!Mp4Box.TryRead(head[(int)at..], length - at, out var box) || at + box.Size > head.Length)
            {
                return null;
            }
            var body = head.Slice((int)at + box.HeaderLength, (int)box.Size - box.HeaderLength);
            at += box.Size;
            if (box.Type == Mp4Box.Moov)
            {
                var tracks = ParseMoov(body);
                if (tracks is null)
                {
                    return null;
                }
                // The first fragment, when it is in the head too, says where each track's presentation starts.
                var firstFragment = Mp4Box.TryRead(head[(int)Math.Min(at, head.Length)..], length - at, out var next)
                    && next.Type == Mp4Box.Moof && at + next.Size <= head.Length
                        ? Mp4Fragment.Parse(head.Slice((int)at, (int)next.Size), at, tracks)
                        : null;
                foreach (var track in firstFragment?.Tracks ?? [])
                {
                    var declared = tracks[track.Id];
                    var offset = (double)track.FirstCompositionOffset / declared.Timescale;
                    tracks[track.Id] = declared with { StartSeconds = declared.StartSeconds + offset };
                }
                return new FragmentedMp4Head(tracks, at);
            }
        }
        return null;
    }

    private static Dictionary<uint, Mp4Track>? ParseMoov(ReadOnlySpan<byte> moov)
    {
        var children = Mp4Box.Children(moov);
        if (children?.FirstOrDefault(c => c.Type == Mp4Box.Mvex) is not { Length: > 0 } mvex
            || children.FirstOrDefault(c => c.Type == Mp4Box.Mvhd) is not { Length: >= 24 } mvhd)
        {
            return null;
        }
        var movieTimescale = BinaryPrimitives.ReadUInt32BigEndian(moov.Slice(mvhd.Offset + (moov[mvhd.Offset] == 1 ? 20 : 12), 4));
        var defaults = new Dictionary<uint, (uint Duration, uint Size)>();
        foreach (var trex in Mp4Box.Children(moov.Slice(mvex.Offset, mvex.Length))?.Where(c => c.Type == Mp4Box.Trex) ?? [])
        {
            if (trex.Length >= 24)
            {
                var body = moov.Slice(trex.Offset, trex.Length);
                defaults[BinaryPrimitives.ReadUInt32BigEndian(body[4..])] =
                    (BinaryPrimitives.ReadUInt32BigEndian(body[12..]), BinaryPrimitives.ReadUInt32BigEndian(body[16..]));
            }
        }
        var tracks = new Dictionary<uint, Mp4Track>();
        foreach (var trak in children.Where(c => c.Type == Mp4Box.Trak))
        {
            if (ParseTrak(moov.Slice(trak.Offset, trak.Length), movieTimescale) is not { } track)
            {
                return null;
            }
            defaults.TryGetValue(track.Id, out var trackDefaults);
            tracks[track.Id] = track with { DefaultDuration = trackDefaults.Duration, DefaultSize = trackDefaults.Size };
        }
        return tracks.Count > 0 && movieTimescale > 0 ? tracks : null;
    }

    private static Mp4Track? ParseTrak(ReadOnlySpan<byte> trak, uint movieTimescale)
    {
        var children = Mp4Box.Children(trak);
        if (children?.FirstOrDefault(c => c.Type == Mp4Box.Tkhd) is not { Length: >= 24 } tkhd
            || children.FirstOrDefault(c => c.Type == Mp4Box.Mdia) is not { Length: > 0 } mdia
            || Mp4Box.Children(trak.Slice(mdia.Offset, mdia.Length))?.FirstOrDefault(c => c.Type == Mp4Box.Mdhd)
                is not { Length: >= 24 } mdhd)
        {
            return null;
        }
        var id = BinaryPrimitives.ReadUInt32BigEndian(trak.Slice(tkhd.Offset + (trak[tkhd.Offset] == 1 ? 20 : 12), 4));
        var header = trak.Slice(mdia.Offset + mdhd.Offset, mdhd.Length);
        var timescale = BinaryPrimitives.ReadUInt32BigEndian(header[(header[0] == 1 ? 20 : 12)..]);
        if (timescale == 0)
        {
            return null;
        }
        var start = 0.0;
        if (children.FirstOrDefault(c => c.Type == Mp4Box.Edts) is { Length: > 0 } edts
            && Mp4Box.Children(trak.Slice(edts.Offset, edts.Length))?.FirstOrDefault(c => c.Type == Mp4Box.Elst) is { Length: >= 8 } elst)
        {
            start = EditListStart(trak.Slice(edts.Offset + elst.Offset, elst.Length), movieTimescale, timescale);
        }
        return new Mp4Track(id, timescale, 0, 0, start);
    }

    /// <summary>Empty edits delay the track (movie timescale); the first other edit's media time is where it starts playing.</summary>
    private static double EditListStart(ReadOnlySpan<byte> elst, uint movieTimescale, uint timescale)
    {
        var wide = elst[0] == 1;
        var entrySize = wide ? 20 : 12;
        var count = BinaryPrimitives.ReadUInt32BigEndian(elst[4..]);
        var delay = 0.0;
        for (var i = 0; i < count && 8 + (i + 1) * entrySize <= elst.Length; i++)
        {
            var entry = elst[(8 + i * entrySize)..];
            var duration = wide ? BinaryPrimitives.ReadUInt64BigEndian(entry) : BinaryPrimitives.ReadUInt32BigEndian(entry);
            var mediaTime = wide ? BinaryPrimitives.ReadInt64BigEndian(entry[8..]) : BinaryPrimitives.ReadInt32BigEndian(entry[4..]);
            if (mediaTime != -1)
            {
                return delay - (double)mediaTime / timescale;
            }
            delay += movieTimescale > 0 ? (double)duration / movieTimescale : 0;
        }
        return delay;
    }
}
