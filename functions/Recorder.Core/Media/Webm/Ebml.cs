using System.Buffers.Binary;
using System.Numerics;

namespace Recorder.Core.Media.Webm;

/// <summary>How reading an EBML number or element header from a span went.</summary>
public enum EbmlStatus
{
    Ok,
    /// <summary>The span ends inside it: more bytes would tell.</summary>
    Truncated,
    /// <summary>The bytes cannot start one (a zero first byte, an ID longer than 4 bytes).</summary>
    Invalid,
}

/// <summary>An element's ID and data size; <see cref="Length"/> is how many bytes the two take.</summary>
public readonly record struct EbmlHeader(uint Id, long Size, int Length)
{
    /// <summary>The size of a Segment or Cluster written live, before its end was known (all value bits set).</summary>
    public const long UnknownSize = -1;

    public bool IsUnknownSize => Size == UnknownSize;
}

/// <summary>
/// EBML primitives (RFC 8794): variable-length integers, element IDs and sizes, and the unsigned
/// integer and float values Matroska elements carry. Nothing here throws on bad bytes.
/// </summary>
public static class Ebml
{
    public const int MaxIdLength = 4;
    public const int MaxSizeLength = 8;

    /// <summary>A header is at most a 4-byte ID and an 8-byte size.</summary>
    public const int MaxHeaderLength = MaxIdLength + MaxSizeLength;

    /// <summary>
    /// How many bytes the variable-length integer starting with
    /// <paramref name="first"/> takes: the leading zeros + 1, or 0 for a zero byte.
    /// </summary>
    public static int VintLength(byte first) => first == 0 ? 0 : BitOperations.LeadingZeroCount((uint)first) - 23;

    /// <summary>An element ID, marker bits kept as Matroska writes IDs (0x1A45DFA3 for EBML).</summary>
    public static EbmlStatus ReadId(ReadOnlySpan<byte> data, out uint id, out int length)
    {
        id = 0;
        length = data.IsEmpty ? 0 : VintLength(data[0]);
        if (data.IsEmpty)
        {
            return EbmlStatus.Truncated;
        }
        if (length is 0 or > MaxIdLength)
        {
            return EbmlStatus.Invalid;
        }
        if (data.Length < length)
        {
            return EbmlStatus.Truncated;
        }
        for (var i = 0; i < length; i++)
        {
            id = (id << 8) | data[i];
        }
        return EbmlStatus.Ok;
    }

    /// <summary>An element data size, marker bit removed; <see cref="EbmlHeader.UnknownSize"/> when every value bit is set.</summary>
    public static EbmlStatus ReadSize(ReadOnlySpan<byte> data, out long size, out int length)
    {
        size = 0;
        if (data.IsEmpty)
        {
            length = 0;
            return EbmlStatus.Truncated;
        }
        length = VintLength(data[0]);
        if (length == 0)
        {
            return EbmlStatus.Invalid;
        }
        if (data.Length < length)
        {
            return EbmlStatus.Truncated;
        }
        var value = (ulong)(data[0] & (0xFF >> length));
        for (var i = 1; i < length; i++)
        {
            value = (value << 8) | data[i];
        }
        var allOnes = (1UL << (7 * length)) - 1;
        size = value == allOnes ? EbmlHeader.UnknownSize : (long)value;
        return EbmlStatus.Ok;
    }

    public static EbmlStatus ReadHeader(ReadOnlySpan<byte> data, out EbmlHeader header)
    {
        header = default;
        var status = ReadId(data, out var id, out var idLength);
        if (status != EbmlStatus.Ok)
        {
            return status;
        }
        status = ReadSize(data[idLength..], out var size, out var sizeLength);
        if (status == EbmlStatus.Ok)
        {
            header = new EbmlHeader(id, size, idLength + sizeLength);
        }
        return status;
    }

    /// <summary>A big-endian unsigned integer of 0–8 bytes (an empty one is 0).</summary>
    public static bool TryReadUnsigned(ReadOnlySpan<byte> data, out ulong value)
    {
        value = 0;
        if (data.Length > 8)
        {
            return false;
        }
        foreach (var b in data)
        {
            value = (value << 8) | b;
        }
        return true;
    }

    /// <summary>A big-endian IEEE float of 0, 4 or 8 bytes (an empty one is 0).</summary>
    public static bool TryReadFloat(ReadOnlySpan<byte> data, out double value)
    {
        switch (data.Length)
        {
            case 0:
                value = 0;
                return true;
            case 4:
                value = BinaryPrimitives.ReadSingleBigEndian(data);
                return true;
            case 8:
                value = BinaryPrimitives.ReadDoubleBigEndian(data);
                return true;
            default:
                value = 0;
                return false;
        }
    }
}

/// <summary>
/// Walks the children of a master element held whole in a span (<c>foreach</c>); stops at the
/// first child that is malformed, of unknown size or larger than what is left.
/// </summary>
public ref struct EbmlChildren(ReadOnlySpan<byte> body)
{
    private ReadOnlySpan<byte> _rest = body;

    public uint Id { get; private set; }

    public ReadOnlySpan<byte> Value { get; private set; }

    public readonly EbmlChildren Current => this;

    public readonly EbmlChildren GetEnumerator() => this;

    public bool MoveNext()
    {
        if (Ebml.ReadHeader(_rest, out var child) != EbmlStatus.Ok || child.IsUnknownSize || child.Size > _rest.Length - child.Length)
        {
            return false;
        }
        Id = child.Id;
        Value = _rest.Slice(child.Length, (int)child.Size);
        _rest = _rest[(child.Length + (int)child.Size)..];
        return true;
    }
}
