using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Recorder.Core.Media;

/// <summary>
/// Reads a blob by ranged GETs, so probing a recording fetches only the bytes it looks at.
/// With an ETag every read is conditional on it: a blob replaced mid-probe fails with 412
/// instead of mixing bytes of two uploads.
/// </summary>
public sealed class BlobRangeReader(BlobBaseClient blob, long length, ETag? etag = null) : IRangeReader
{
    private long _bytesRead;

    public long Length => length;

    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>A reader over the blob as it is now: its length and ETag from one properties call.</summary>
    public static async Task<BlobRangeReader> OpenAsync(BlobBaseClient blob, CancellationToken cancellationToken)
    {
        BlobProperties properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
        return new BlobRangeReader(blob, properties.ContentLength, properties.ETag);
    }

    public async Task<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        // Storage answers 416 for a range that starts at or past the end; a short read is what callers expect.
        var count = (int)Math.Min(buffer.Length, Math.Max(0, length - offset));
        if (count == 0)
        {
            return 0;
        }

        var options = new BlobDownloadOptions
        {
            Range = new HttpRange(offset, count),
            Conditions = etag is { } match ? new BlobRequestConditions { IfMatch = match } : null,
        };
        BlobDownloadStreamingResult download = await blob.DownloadStreamingAsync(options, cancellationToken);
        await using var content = download.Content;
        var filled = 0;
        while (filled < count)
        {
            var read = await content.ReadAsync(buffer[filled..count], cancellationToken);
            if (read == 0)
            {
                break;
            }
            filled += read;
            Interlocked.Add(ref _bytesRead, read);
        }
        return filled;
    }
}
