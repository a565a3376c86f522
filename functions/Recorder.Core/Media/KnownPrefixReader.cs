namespace Recorder.Core.Media;

/// <summary>
/// A source whose first bytes are already in memory (the magic bytes ingest sniffed, the head the duration reader
/// parsed): reads of them are answered from memory, so no step fetches a byte it already has.
/// </summary>
public sealed class KnownPrefixReader(IRangeReader source, ReadOnlyMemory<byte> prefix) : IRangeReader
{
    public long Length => source.Length;

    public long BytesRead => source.BytesRead;

    public async Task<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var known = (int)Math.Clamp(prefix.Length - offset, 0, buffer.Length);
        if (known > 0)
        {
            prefix.Slice((int)offset, known).CopyTo(buffer);
        }
        return known == buffer.Length ? known : known + await source.ReadAsync(offset + known, buffer[known..], cancellationToken);
    }
}
