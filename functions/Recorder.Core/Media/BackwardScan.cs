namespace Recorder.Core.Media;

/// <summary>
/// Reads a file once, backwards from its end, in chunks of 256 KiB growing to 1 MiB, and offers every position, last
/// first, to a visitor with the bytes from there to the end of the chunk read before (so an element near a chunk's end
/// parses across the two). Where the last Cluster or fragment is found, no byte before it is read, and none twice.
/// </summary>
internal static class BackwardScan
{
    // Chrome starts a Cluster at least every 32.767 s (the int16 block timecode): the first chunk usually holds one.
    private const int FirstChunk = 256 * 1024;
    private const int MaxChunk = 1024 * 1024;

    /// <summary>True when the search is over: nothing before <paramref name="position"/> is read.</summary>
    public delegate bool Visitor(ReadOnlySpan<byte> at, long position);

    /// <summary>Scans back to <paramref name="floor"/>; true when the visitor stopped the scan, false when it reached the floor.</summary>
    public static async Task<bool> RunAsync(IRangeReader source, long floor, Visitor visit, CancellationToken cancellationToken)
    {
        var end = source.Length;
        var later = Array.Empty<byte>();
        for (var chunk = FirstChunk; end > floor; chunk = Math.Min(2 * chunk, MaxChunk))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var start = Math.Max(floor, end - chunk);
            var buffer = new byte[end - start + later.Length];
            var filled = 0;
            for (int read; filled < end - start; filled += read)
            {
                read = await source.ReadAsync(start + filled, buffer.AsMemory(filled, (int)(end - start) - filled), cancellationToken);
                if (read == 0)
                {
                    // Shorter than its stated length: the zeros left in the buffer parse as nothing.
                    break;
                }
            }
            later.CopyTo(buffer, end - start);
            for (var position = end - 1; position >= start; position--)
            {
                if (visit(buffer.AsSpan((int)(position - start)), position))
                {
                    return true;
                }
            }
            later = buffer[..(int)(end - start)];
            end = start;
        }
        return false;
    }
}
