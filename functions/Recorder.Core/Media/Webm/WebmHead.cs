using System.Text;

namespace Recorder.Core.Media.Webm;

/// <summary>A track as its TrackEntry describes it. Its blocks' timestamps are CodecDelay late (RFC 9559).</summary>
internal sealed record WebmTrack(ulong Number, string? CodecId, long? DefaultDurationNs, long CodecDelayNs)
{
    public bool IsOpus => CodecId == "A_OPUS";
}

/// <summary>
/// What the start of a WebM/Matroska file says: the time scale, the Duration if the muxer knew it,
/// the tracks, and where the Segment's top-level elements stop being headers (the first Cluster). <paramref name="Bytes"/>:
/// the file's first bytes as read, so what follows never fetches them again.
/// </summary>
internal sealed record WebmHead(
    long TimecodeScaleNs, double? DurationTicks, IReadOnlyDictionary<ulong, WebmTrack> Tracks, long FirstClusterOffset,
    ReadOnlyMemory<byte> Bytes)
{
    public const long DefaultTimecodeScaleNs = 1_000_000;

    // Chrome, ffmpeg and mkvmerge put Info and Tracks in the first kilobytes: only elements that
    // start in the head are looked at, so a strange file cannot make this walk read much.
    private const int HeadSize = 64 * 1024;
    private const int MaxHeaderElementSize = 1024 * 1024;

    /// <summary>The head of the file, or null when it is not EBML with a webm/matroska DocType and a Segment.</summary>
    public static async Task<WebmHead?> ReadAsync(RangeCache cache, CancellationToken cancellationToken)
    {
        var head = await cache.ReadAsync(0, HeadSize, cancellationToken);
        if (Ebml.ReadHeader(head.Span, out var ebml) != EbmlStatus.Ok || ebml.Id != MatroskaIds.Ebml || ebml.IsUnknownSize
            || head.Length < ebml.Length + ebml.Size || !IsWebm(head.Span.Slice(ebml.Length, (int)ebml.Size)))
        {
            return null;
        }

        var position = ebml.Length + ebml.Size;
        EbmlHeader segment;
        while (true)
        {
            if (position >= HeadSize)
            {
                return null;
            }
            var bytes = await cache.ReadAsync(position, Ebml.MaxHeaderLength, cancellationToken);
            if (Ebml.ReadHeader(bytes.Span, out segment) != EbmlStatus.Ok)
            {
                return null;
            }
            if (segment.Id == MatroskaIds.Segment)
            {
                break;
            }
            if (segment.Id != MatroskaIds.Void || segment.IsUnknownSize)
            {
                return null;
            }
            position += segment.Length + segment.Size;
        }

        long scale = DefaultTimecodeScaleNs;
        double? duration = null;
        var tracks = new Dictionary<ulong, WebmTrack>();
        position += segment.Length;
        while (position < Math.Min(HeadSize, cache.Length))
        {
            var bytes = await cache.ReadAsync(position, Ebml.MaxHeaderLength, cancellationToken);
            if (Ebml.ReadHeader(bytes.Span, out var element) != EbmlStatus.Ok || element.Id == MatroskaIds.Cluster || element.IsUnknownSize)
            {
                break;
            }
            if (element.Id is MatroskaIds.Info or MatroskaIds.Tracks && element.Size <= MaxHeaderElementSize)
            {
                var body = (await cache.ReadAsync(position + element.Length, (int)element.Size, cancellationToken)).Span;
                if (element.Id == MatroskaIds.Info)
                {
                    (scale, duration) = ReadInfo(body);
                }
                else
                {
                    ReadTracks(body, tracks);
                }
            }
            position += element.Length + element.Size;
        }
        return new WebmHead(scale, duration, tracks, Math.Min(position, cache.Length), head);
    }

    public long ToNanoseconds(long ticks) => ticks * TimecodeScaleNs;

    // DocType defaults to "matroska" when absent (RFC 9559).
    private static bool IsWebm(ReadOnlySpan<byte> ebmlBody)
    {
        foreach (var child in new EbmlChildren(ebmlBody))
        {
            if (child.Id == MatroskaIds.DocType)
            {
                var docType = Encoding.ASCII.GetString(child.Value).TrimEnd('\0');
                return docType is "webm" or "matroska";
            }
        }
        return true;
    }

    private static (long Scale, double? Duration) ReadInfo(ReadOnlySpan<byte> info)
    {
        long scale = DefaultTimecodeScaleNs;
        double? duration = null;
        foreach (var child in new EbmlChildren(info))
        {
            if (child.Id == MatroskaIds.TimecodeScale && Ebml.TryReadUnsigned(child.Value, out var read) && read is > 0 and <= int.MaxValue)
            {
                scale = (long)read;
            }
            else if (child.Id == MatroskaIds.Duration && Ebml.TryReadFloat(child.Value, out var ticks) && double.IsFinite(ticks)
                && ticks > 0)
            {
                duration = ticks;
            }
        }
        return (scale, duration);
    }

    private static void ReadTracks(ReadOnlySpan<byte> tracks, Dictionary<ulong, WebmTrack> into)
    {
        foreach (var entry in new EbmlChildren(tracks))
        {
            if (entry.Id != MatroskaIds.TrackEntry)
            {
                continue;
            }
            ulong number = 0;
            string? codec = null;
            long? defaultDuration = null;
            long codecDelay = 0;
            foreach (var field in new EbmlChildren(entry.Value))
            {
                if (field.Id == MatroskaIds.TrackNumber && Ebml.TryReadUnsigned(field.Value, out var read))
                {
                    number = read;
                }
                else if (field.Id == MatroskaIds.CodecId)
                {
                    codec = Encoding.ASCII.GetString(field.Value).TrimEnd('\0');
                }
                else if (field.Id == MatroskaIds.DefaultDuration && Ebml.TryReadUnsigned(field.Value, out var ns)
                    && ns is > 0 and <= long.MaxValue)
                {
                    defaultDuration = (long)ns;
                }
                else if (field.Id == MatroskaIds.CodecDelay && Ebml.TryReadUnsigned(field.Value, out var delay) && delay <= int.MaxValue)
                {
                    codecDelay = (long)delay;
                }
            }
            if (number > 0)
            {
                into[number] = new WebmTrack(number, codec, defaultDuration, codecDelay);
            }
        }
    }
}
