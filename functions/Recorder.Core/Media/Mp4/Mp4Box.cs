using System.Buffers.Binary;

namespace Recorder.Core.Media.Mp4;

/// <summary>An ISO BMFF box header: its four-character type, its whole size (header included) and the header's length.</summary>
internal readonly record struct Mp4Box(uint Type, long Size, int HeaderLength)
{
    public const uint Moov = 0x6D6F6F76; // moov
    public const uint Mvhd = 0x6D766864;
    public const uint Trak = 0x7472616B;
    public const uint Tkhd = 0x746B6864;
    public const uint Edts = 0x65647473;
    public const uint Elst = 0x656C7374;
    public const uint Mdia = 0x6D646961;
    public const uint Mdhd = 0x6D646864;
    public const uint Mvex = 0x6D766578;
    public const uint Trex = 0x74726578;
    public const uint Moof = 0x6D6F6F66;
    public const uint Mfhd = 0x6D666864;
    public const uint Traf = 0x74726166;
    public const uint Tfhd = 0x74666864;
    public const uint Tfdt = 0x74666474;
    public const uint Trun = 0x7472756E;
    public const uint Mdat = 0x6D646174;

    // What may follow the moov at the top level of a fragmented file: fragments, their indexes and padding.
    private static readonly HashSet<uint> TopLevel =
    [
        Moof, Mdat, 0x66726565 /* free */, 0x736B6970 /* skip */, 0x73747970 /* styp */, 0x73696478 /* sidx */,
        0x656D7367 /* emsg */, 0x70726674 /* prft */, 0x6D667261 /* mfra */, 0x75647461 /* udta */,
    ];

    /// <summary>
    /// The header at the start of <paramref name="at"/>, which holds the file's bytes from the box on; <paramref name="toEnd"/> is
    /// how many bytes the file has from there (a size of 0 means "to the end of the file"). False when too few bytes or no box.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> at, long toEnd, out Mp4Box box)
    {
        box = default;
        if (at.Length < 8)
        {
            return false;
        }
        long size = BinaryPrimitives.ReadUInt32BigEndian(at);
        var type = BinaryPrimitives.ReadUInt32BigEndian(at[4..]);
        var headerLength = 8;
        if (size == 1)
        {
            if (at.Length < 16 || BinaryPrimitives.ReadUInt64BigEndian(at[8..]) > long.MaxValue)
            {
                return false;
            }
            size = (long)BinaryPrimitives.ReadUInt64BigEndian(at[8..]);
            headerLength = 16;
        }
        else if (size == 0)
        {
            size = toEnd;
        }
        if (size < headerLength)
        {
            return false;
        }
        box = new Mp4Box(type, size, headerLength);
        return true;
    }

    public static bool IsTopLevel(uint type) => TopLevel.Contains(type);

    /// <summary>The boxes inside <paramref name="body"/>, each with its body; null when they do not fill it exactly.</summary>
    public static List<(uint Type, int Offset, int Length)>? Children(ReadOnlySpan<byte> body)
    {
        var children = new List<(uint, int, int)>();
        for (var at = 0; at < body.Length;)
        {
            if (!TryRead(body[at..], body.Length - at, out var child) || child.Size > body.Length - at)
            {
                return null;
            }
            children.Add((child.Type, at + child.HeaderLength, (int)child.Size - child.HeaderLength));
            at += (int)child.Size;
        }
        return children;
    }
}
