using System.Buffers.Binary;

namespace Recorder.Core.Media.Mp4;

/// <summary>
/// One track's run in a fragment: where its decode times start (tfdt), how long its samples last, where in the file its
/// sample data ends, and its first sample's composition offset.
/// </summary>
internal sealed record Mp4TrackRun(uint Id, ulong? BaseDecodeTime, ulong Duration, long DataEnd, long FirstCompositionOffset);

/// <summary>A moof, parsed strictly: mfhd first, then trafs of declared tracks whose boxes fill it exactly.</summary>
internal sealed record Mp4Fragment(IReadOnlyList<Mp4TrackRun> Tracks)
{
    /// <param name="moof">The whole moof box, header included.</param>
    /// <param name="offset">Where it starts in the file: sample data offsets count from there.</param>
    public static Mp4Fragment? Parse(ReadOnlySpan<byte> moof, long offset, IReadOnlyDictionary<uint, Mp4Track> tracks)
    {
        if (!Mp4Box.TryRead(moof, moof.Length, out var box) || box.Type != Mp4Box.Moof || box.Size != moof.Length)
        {
            return null;
        }
        var body = moof[box.HeaderLength..];
        var children = Mp4Box.Children(body);
        if (children is not [{ Type: Mp4Box.Mfhd }, _, ..])
        {
            return null;
        }
        var runs = new List<Mp4TrackRun>();
        var dataEnd = offset;
        foreach (var traf in children.Skip(1))
        {
            if (traf.Type != Mp4Box.Traf)
            {
                continue;
            }
            var run = ParseTraf(body.Slice(traf.Offset, traf.Length), offset, runs.Count == 0 ? offset : dataEnd, tracks);
            if (run is null)
            {
                return null;
            }
            runs.Add(run);
            dataEnd = run.DataEnd;
        }
        return runs.Count > 0 ? new Mp4Fragment(runs) : null;
    }

    private static Mp4TrackRun? ParseTraf(
        ReadOnlySpan<byte> traf, long moofOffset, long previousDataEnd, IReadOnlyDictionary<uint, Mp4Track> tracks)
    {
        var children = Mp4Box.Children(traf);
        if (children is not [{ Type: Mp4Box.Tfhd } tfhdBox, ..] || tfhdBox.Length < 8)
        {
            return null;
        }
        var tfhd = traf.Slice(tfhdBox.Offset, tfhdBox.Length);
        var flags = Flags(tfhd);
        if (!tracks.TryGetValue(BinaryPrimitives.ReadUInt32BigEndian(tfhd[4..]), out var track))
        {
            return null;
        }
        var optional = new[] { (0x1, 8), (0x2, 4), (0x8, 4), (0x10, 4), (0x20, 4) }.Sum(f => (flags & f.Item1) != 0 ? f.Item2 : 0);
        if (8 + optional > tfhd.Length)
        {
            return null;
        }
        var at = 8;
        long? baseDataOffset = (flags & 0x1) != 0 ? (long)Next64(tfhd, ref at) : null;
        at += (flags & 0x2) != 0 ? 4 : 0;
        var defaultDuration = (flags & 0x8) != 0 ? Next(tfhd, ref at) : track.DefaultDuration;
        var defaultSize = (flags & 0x10) != 0 ? Next(tfhd, ref at) : track.DefaultSize;
        // Sample data counts from the base offset, else from the moof (default-base-is-moof, or the first traf), else on from
        // the previous traf's data.
        var dataStart = baseDataOffset ?? ((flags & 0x20000) != 0 ? moofOffset : previousDataEnd);

        ulong? baseDecodeTime = null;
        ulong duration = 0;
        var dataEnd = dataStart;
        long? firstCompositionOffset = null;
        foreach (var child in children.Skip(1))
        {
            var content = traf.Slice(child.Offset, child.Length);
            if (child.Type == Mp4Box.Tfdt && content.Length >= 8)
            {
                baseDecodeTime = content[0] == 1 && content.Length >= 12
                    ? BinaryPrimitives.ReadUInt64BigEndian(content[4..])
                    : BinaryPrimitives.ReadUInt32BigEndian(content[4..]);
            }
            else if (child.Type == Mp4Box.Trun)
            {
                if (ParseTrun(content, dataStart, dataEnd, defaultDuration, defaultSize) is not { } run)
                {
                    return null;
                }
                duration += run.Duration;
                dataEnd = Math.Max(dataEnd, run.DataEnd);
                firstCompositionOffset ??= run.FirstCompositionOffset;
            }
        }
        return new Mp4TrackRun(track.Id, baseDecodeTime, duration, dataEnd, firstCompositionOffset ?? 0);
    }

    private static (ulong Duration, long DataEnd, long FirstCompositionOffset)? ParseTrun(
        ReadOnlySpan<byte> trun, long dataStart, long previousEnd, uint defaultDuration, uint defaultSize)
    {
        if (trun.Length < 8)
        {
            return null;
        }
        var flags = Flags(trun);
        var count = BinaryPrimitives.ReadUInt32BigEndian(trun[4..]);
        var fields = new[] { 0x100, 0x200, 0x400, 0x800 }.Count(field => (flags & field) != 0);
        var header = 8 + ((flags & 0x1) != 0 ? 4 : 0) + ((flags & 0x4) != 0 ? 4 : 0);
        if (header + (long)count * fields * 4 != trun.Length)
        {
            return null;
        }
        var at = 8;
        var start = (flags & 0x1) != 0 ? dataStart + (int)Next(trun, ref at) : previousEnd;
        at += (flags & 0x4) != 0 ? 4 : 0;
        ulong duration = 0;
        long size = 0;
        long first = 0;
        for (var i = 0; i < count; i++)
        {
            duration += (flags & 0x100) != 0 ? Next(trun, ref at) : defaultDuration;
            size += (flags & 0x200) != 0 ? Next(trun, ref at) : defaultSize;
            at += (flags & 0x400) != 0 ? 4 : 0;
            if ((flags & 0x800) != 0)
            {
                // Version 1 composition offsets are signed.
                var composition = Next(trun, ref at);
                first = i == 0 ? trun[0] == 1 ? (int)composition : composition : first;
            }
        }
        return (duration, start + size, first);
    }

    private static int Flags(ReadOnlySpan<byte> fullBox) => (fullBox[1] << 16) | (fullBox[2] << 8) | fullBox[3];

    private static ulong Next64(ReadOnlySpan<byte> box, ref int at)
    {
        var value = BinaryPrimitives.ReadUInt64BigEndian(box[at..]);
        at += 8;
        return value;
    }

    private static uint Next(ReadOnlySpan<byte> box, ref int at)
    {
        var value = BinaryPrimitives.ReadUInt32BigEndian(box[at..]);
        at += 4;
        return value;
    }
}
