namespace Recorder.Core.Media.Thumbnails;

/// <summary>An image standing for a recording: a JPEG frame of a video, a PNG waveform of audio.</summary>
/// <param name="Extension">With its dot, for the blob name: ".jpg" or ".png".</param>
public sealed record Thumbnail(byte[] Content, string ContentType, string Extension)
{
    public static Thumbnail Jpeg(byte[] content) => new(content, "image/jpeg", ".jpg");

    public static Thumbnail Png(byte[] content) => new(content, "image/png", ".png");
}
