namespace Recorder.Core.Media.Mp4;

/// <summary>
/// Where a fragmented MP4 ends, read by byte ranges. <paramref name="Truncated"/>: the file ends inside a box (an upload cut
/// off inside a fragment); <paramref name="Duration"/> is then where its last whole fragment ends, else where its last one
/// does (null when its fragments state no decode time, tfdt). <paramref name="BytesRead"/>: what it took, head and tail.
/// </summary>
public sealed record FragmentedMp4End(TimeSpan? Duration, bool Truncated, long BytesRead)
{
    /// <summary><c>metadata.media.durationSource</c> of a fragmented MP4: where its last (whole) fragment ends.</summary>
    public const string Fragments = "fragments";

    // The moov of a fragmented file is a few kilobytes: it and the first fragment's moof fit here.
    private const int HeadBytes = 64 * 1024;

    // Enough for the ftyp and the next box's header.
    private const int FirstBoxesBytes = 64;

    /// <summary>Null when the file is not a fragmented MP4 (no mvex in a moov at its start) or no whole moof is found.</summary>
    public static async Task<FragmentedMp4End?> ReadAsync(IRangeReader source, CancellationToken cancellationToken)
    {
        var before = source.BytesRead;
        var head = new byte[(int)Math.Min(HeadBytes, source.Length)];
        // The first two box headers (the bytes ingest sniffed) tell whether a moov small enough to be a fragmented file's
        // follows the ftyp; any other MP4 costs no further read.
        var filled = await FillAsync(source, 0, head.AsMemory(0, Math.Min(FirstBoxesBytes, head.Length)), cancellationToken);
        if (!MayBeFragmented(head.AsSpan(0, filled), source.Length))
        {
            return null;
        }
        filled += await FillAsync(source, filled, head.AsMemory(filled), cancellationToken);
        if (FragmentedMp4Head.Parse(head.AsSpan(0, filled), source.Length) is not { } parsed)
        {
            return null;
        }
        var last = await LastFragmentSearch.FindAsync(new KnownPrefixReader(source, head.AsMemory(0, filled)), parsed,
            cancellationToken);
        return last is { } found ? new FragmentedMp4End(found.Duration, found.Truncated, source.BytesRead - before) : null;
    }

    private static bool MayBeFragmented(ReadOnlySpan<byte> start, long length)
        => Mp4Box.TryRead(start, length, out var ftyp) && ftyp.Size <= start.Length - 8
            && Mp4Box.TryRead(start[(int)ftyp.Size..], length - ftyp.Size, out var second)
            && second.Type == Mp4Box.Moov && ftyp.Size + second.Size <= HeadBytes;

    private static async Task<int> FillAsync(IRangeReader source, long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        for (int read; filled < buffer.Length; filled += read)
        {
            read = await source.ReadAsync(offset + filled, buffer[filled..], cancellationToken);
            if (read == 0)
            {
                break;
            }
        }
        return filled;
    }
}
