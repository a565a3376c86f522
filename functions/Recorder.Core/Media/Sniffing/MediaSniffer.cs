namespace Recorder.Core.Media.Sniffing;

/// <summary>
/// Tells the container from a file's first bytes, so an upload whose bytes are not what its declared
/// type says (a PNG named .webm) is caught before ffprobe sees it.
/// </summary>
public static class MediaSniffer
{
    /// <summary>How many leading bytes <see cref="Detect"/> needs; fewer are fine for a shorter file.</summary>
    public const int HeadBytes = 64;

    public static MediaContainer Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3]))
        {
            return MediaContainer.Matroska;
        }
        if (head.Length >= 8 && head[4..8].SequenceEqual("ftyp"u8))
        {
            return MediaContainer.Mp4;
        }
        if (head.StartsWith("OggS"u8))
        {
            return MediaContainer.Ogg;
        }
        if ((head.StartsWith("RIFF"u8) || head.StartsWith("RF64"u8)) && head.Length >= 12 && head[8..12].SequenceEqual("WAVE"u8))
        {
            return MediaContainer.Wav;
        }
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return MediaContainer.Png;
        }
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return MediaContainer.Jpeg;
        }
        if (head.StartsWith("ID3"u8) || IsMpegAudioFrame(head))
        {
            return MediaContainer.Mp3;
        }
        return IsAdtsFrame(head) ? MediaContainer.Aac : MediaContainer.Unknown;
    }

    // The media types recordings are declared as and the container each names; a container's first type of a kind is the
    // one a recording in it is corrected to.
    private static readonly (string Essence, MediaContainer Container)[] Types =
    [
        ("video/webm", MediaContainer.Matroska), ("audio/webm", MediaContainer.Matroska), ("video/x-matroska", MediaContainer.Matroska),
        ("video/mp4", MediaContainer.Mp4), ("audio/mp4", MediaContainer.Mp4), ("audio/ogg", MediaContainer.Ogg),
        ("audio/wav", MediaContainer.Wav), ("audio/mpeg", MediaContainer.Mp3), ("audio/aac", MediaContainer.Aac),
    ];

    /// <summary>
    /// Whether the detected container is the one the declared MIME type names (codec parameters after
    /// ';' ignored). Unknown matches nothing.
    /// </summary>
    public static bool Matches(MediaContainer container, string declaredMimeType)
    {
        var essence = declaredMimeType.Split(';', 2)[0].Trim().ToLowerInvariant();
        return Types.Any(type => type.Essence == essence && type.Container == container);
    }

    /// <summary>Whether recordings come in this container at all: false for an image or bytes of no known kind.</summary>
    public static bool IsRecordingContainer(MediaContainer container) => Types.Any(type => type.Container == container);

    /// <summary>The media type of a recording in <paramref name="container"/> with or without video; null if there is none.</summary>
    public static string? MimeTypeOf(MediaContainer container, bool hasVideo)
        => Types.FirstOrDefault(type => type.Container == container && type.Essence.StartsWith(hasVideo ? "video/" : "audio/",
            StringComparison.Ordinal)).Essence;

    // 11 sync bits, then no reserved version (01), layer (00), bitrate (1111) or sample rate (11).
    private static bool IsMpegAudioFrame(ReadOnlySpan<byte> head)
        => head.Length >= 3
            && head[0] == 0xFF
            && (head[1] & 0xE0) == 0xE0
            && (head[1] & 0x18) != 0x08
            && (head[1] & 0x06) != 0x00
            && (head[2] & 0xF0) != 0xF0
            && (head[2] & 0x0C) != 0x0C;

    // 12 sync bits, then layer 00; sampling frequency index 13–15 is reserved.
    private static bool IsAdtsFrame(ReadOnlySpan<byte> head)
        => head.Length >= 3
            && head[0] == 0xFF
            && (head[1] & 0xF6) == 0xF0
            && (head[2] & 0x3C) >> 2 < 13;
}
