namespace Recorder.Core.Media.Webm;

/// <summary>
/// One contiguous cached range of an <see cref="IRangeReader"/>. A request that overlaps or touches
/// it reads only the missing bytes and grows it (up to <paramref name="maxRetained"/>), so the head,
/// a tail that grows backwards and a forward scan never fetch a byte twice. Reads forward fetch at
/// least <paramref name="minimumFetch"/> bytes, so walking small elements is not one request each.
/// </summary>
internal sealed class RangeCache(IRangeReader source, int maxRetained, int minimumFetch)
{
    private byte[] _buffer = [];
    private long _start;

    public long Length => source.Length;

    private long End => _start + _buffer.Length;

    /// <summary>The bytes [offset, offset + count), fewer only at the end of the file.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadAsync(long offset, int count, CancellationToken cancellationToken)
    {
        var end = Math.Min(offset + count, Length);
        if (offset < 0 || offset >= end)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        if (offset >= _start && end <= End)
        {
            return _buffer.AsMemory((int)(offset - _start), (int)(end - offset));
        }

        var continues = _buffer.Length > 0 && offset >= _start && offset <= End;
        var fetchFrom = continues ? End : offset;
        var (newStart, newEnd) = (offset, Math.Min(Math.Max(end, fetchFrom + minimumFetch), Length));
        var touches = _buffer.Length > 0 && offset <= End && newEnd >= _start;
        if (touches && Math.Max(newEnd, End) - Math.Min(offset, _start) <= maxRetained)
        {
            (newStart, newEnd) = (Math.Min(offset, _start), Math.Max(newEnd, End));
        }

        var buffer = new byte[newEnd - newStart];
        var keptStart = Math.Max(newStart, _start);
        var keptEnd = Math.Min(newEnd, End);
        if (keptStart < keptEnd)
        {
            _buffer.AsSpan((int)(keptStart - _start), (int)(keptEnd - keptStart)).CopyTo(buffer.AsSpan((int)(keptStart - newStart)));
            await FillAsync(buffer, newStart, newStart, keptStart, cancellationToken);
            await FillAsync(buffer, newStart, keptEnd, newEnd, cancellationToken);
        }
        else
        {
            await FillAsync(buffer, newStart, newStart, newEnd, cancellationToken);
        }
        (_buffer, _start) = (buffer, newStart);
        return _buffer.AsMemory((int)(offset - _start), (int)(end - offset));
    }

    private async Task FillAsync(byte[] buffer, long bufferStart, long from, long to, CancellationToken cancellationToken)
    {
        while (from < to)
        {
            var read = await source.ReadAsync(from, buffer.AsMemory((int)(from - bufferStart), (int)(to - from)), cancellationToken);
            if (read == 0)
            {
                // The file is shorter than its stated length: the zeros left in the buffer fail to parse.
                return;
            }
            from += read;
        }
    }
}
