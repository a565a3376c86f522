namespace Recorder.Core.Media.Webm;

/// <summary>
/// A source whose last bytes are already in memory: the tail searched before a scan, so the scan
/// reads through it without fetching it again.
/// </summary>
internal sealed class KnownTailReader(IRangeReader source, ReadOnlyMemory<byte> tail) : IRangeReader
{
    private long TailStart => source.Length - tail.Length;

    public long Length => source.Length;

    public long BytesRead => source.BytesRead;

    public async Task<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        if (offset < TailStart)
        {
            var before = (int)Math.Min(buffer.Length, TailStart - offset);
            filled = await source.ReadAsync(offset, buffer[..before], cancellationToken);
            if (filled < before)
            {
                return filled;
            }
        }
        var inTail = (int)Math.Max(0, offset + filled - TailStart);
        var count = Math.Clamp(tail.Length - inTail, 0, buffer.Length - filled);
        tail.Slice(inTail, count).CopyTo(buffer[filled..]);
        return filled + count;
    }
}
