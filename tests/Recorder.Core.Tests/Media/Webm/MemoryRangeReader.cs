using Recorder.Core.Media;

namespace Recorder.Core.Tests.Media.Webm;

/// <summary>A file held in memory behind <see cref="IRangeReader"/>, counting bytes and requests like a blob would.</summary>
internal sealed class MemoryRangeReader(ReadOnlyMemory<byte> data) : IRangeReader
{
    private readonly List<(long Start, long End)> _ranges = [];

    public long Length => data.Length;

    public long BytesRead { get; private set; }

    public int Requests { get; private set; }

    public static MemoryRangeReader Of(string path) => new(File.ReadAllBytes(path));

    /// <summary>Bytes fetched more than once: what was read minus the distinct bytes read.</summary>
    public long BytesReadTwice
    {
        get
        {
            long distinct = 0, coveredTo = 0;
            foreach (var (start, end) in _ranges.OrderBy(range => range.Start))
            {
                distinct += Math.Max(0, end - Math.Max(start, coveredTo));
                coveredTo = Math.Max(coveredTo, end);
            }
            return BytesRead - distinct;
        }
    }

    public Task<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var count = (int)Math.Clamp(data.Length - offset, 0, buffer.Length);
        data.Slice((int)Math.Min(offset, data.Length), count).CopyTo(buffer);
        BytesRead += count;
        Requests++;
        _ranges.Add((offset, offset + count));
        return Task.FromResult(count);
    }
}
