namespace Recorder.Core.Media;

/// <summary>Random access to a remote file by byte ranges, counting what was read.</summary>
public interface IRangeReader
{
    /// <summary>The file's length in bytes.</summary>
    long Length { get; }

    /// <summary>Bytes transferred so far by <see cref="ReadAsync"/>, over all calls.</summary>
    long BytesRead { get; }

    /// <summary>
    /// Fills as much of <paramref name="buffer"/> as the file holds from <paramref name="offset"/>:
    /// the count is short only at the end of the file, and 0 at or past it.
    /// </summary>
    Task<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken);
}
