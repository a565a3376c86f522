using Recorder.Core.Media;

namespace Recorder.Core.Tests.Media.Webm;

/// <summary>A file held in memory behind <see cref="IRangeReader"/>, counting bytes and requests like a blob would.</summary>
internal sealed class MemoryRangeReader(ReadOnlyMemory<byte> data) : IRangeReader
{
    public long Length => data.Length;

    public long BytesRead { get; private set; }

    public int Requests { get; private set; }

    public static MemoryRangeReader Of(string path) => new(File.ReadAllBytes(path));

    public Task<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var count = (int)Math.Clamp(data.Length - offset, 0, buffer.Length);
        data.Slice((int)Math.Min(offset, data.Length), count).CopyTo(buffer);
        BytesRead += count;
        Requests++;
        return Task.FromResult(count);
    }
}
