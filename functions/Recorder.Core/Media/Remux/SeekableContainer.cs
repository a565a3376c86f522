namespace Recorder.Core.Media.Remux;

/// <summary>
/// The container a seekable copy is written in: WebM when it takes every codec of the recording (VP8, VP9, AV1; Opus,
/// Vorbis), else Matroska, which takes whatever else MediaRecorder writes (H.264, PCM) and is what those recordings
/// already are (docs/ingest.md, "Seekable copy").
/// </summary>
public sealed record SeekableContainer(string Format, string Extension)
{
    public static readonly SeekableContainer Webm = new("webm", ".webm");

    public static readonly SeekableContainer Matroska = new("matroska", ".mkv");

    public static IReadOnlyList<SeekableContainer> All { get; } = [Webm, Matroska];

    // ffprobe's codec names of what the WebM muxer accepts besides subtitles.
    private static readonly string[] WebmCodecs = ["vp8", "vp9", "av1", "opus", "vorbis"];

    /// <param name="codecs">ffprobe's codec names of the recording's streams.</param>
    public static SeekableContainer For(IEnumerable<string> codecs) => codecs.All(WebmCodecs.Contains) ? Webm : Matroska;

    /// <summary>The Content-Type the copy is served with.</summary>
    public string ContentType(bool hasVideo) => (hasVideo ? "video/" : "audio/") + (this == Webm ? "webm" : "x-matroska");
}
