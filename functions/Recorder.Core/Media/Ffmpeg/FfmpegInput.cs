namespace Recorder.Core.Media.Ffmpeg;

/// <summary>
/// A recording as ffprobe/ffmpeg read it: a read SAS URL (byte ranges, nothing downloaded) or a local file. <see cref="Options"/>
/// allow only the protocols and containers it needs, so a crafted playlist cannot make the tools open local files or other hosts.
/// </summary>
/// <param name="Url">What to pass after <c>-i</c>.</param>
/// <param name="Display">The input without its query, safe to log.</param>
/// <param name="Options">Input options, placed before <c>-i</c>.</param>
public sealed record FfmpegInput(string Url, string Display, IReadOnlyList<string> Options)
{
    // Demuxers of MediaRecorder's WebM/MP4/Ogg and of uploaded WAV, MP3 and AAC files.
    private const string Formats = "matroska,mov,ogg,wav,mp3,aac";

    // ffmpeg asks storage for open-ended ranges ("bytes=0-") and closes the connection once it has read
    // what it needs; storage sends whatever the receive window allows until then. The kernel grows that
    // window to megabytes, which made probing and a thumbnail cost 7-11 MB of reads; 64 KB bounds the
    // waste to that per request (bench/results/ingest.md).
    private static readonly string[] PartialReadWindow = ["-recv_buffer_size", "65536"];

    /// <param name="input">An http(s) URL or an absolute file path.</param>
    /// <param name="readsWholeFile">
    /// True when the tool reads the file to its end (a remux): its reads are not bounded to a small receive
    /// window, which would only slow them down.
    /// </param>
    /// <param name="skipFragmentScan">
    /// A fragmented MP4 whose end ingest found itself: the mov demuxer otherwise visits every moof before it starts (a range
    /// request per fragment, about the whole file over HTTP) only to state a duration (<c>-fflags +ignidx</c>).
    /// </param>
    public static FfmpegInput From(string input, bool readsWholeFile = false, bool skipFragmentScan = false)
    {
        string[] index = skipFragmentScan ? ["-fflags", "+ignidx"] : [];
        if (Uri.TryCreate(input, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
        {
            return new FfmpegInput(input, UrlRedaction.StripQuery(uri),
            [
                "-protocol_whitelist", "https,http,tls,tcp",
                "-format_whitelist", Formats,
                // A dropped connection resumes with a new range request instead of failing the run.
                "-reconnect", "1",
                "-reconnect_on_network_error", "1",
                "-reconnect_delay_max", "2",
                "-rw_timeout", "15000000", // µs: a stalled read fails here, well inside the run's timeout
                .. (readsWholeFile ? [] : PartialReadWindow),
                .. index,
            ]);
        }
        if (Path.IsPathFullyQualified(input))
        {
            // "file:" keeps a path containing ':' from being read as another protocol.
            return new FfmpegInput("file:" + input, input, ["-protocol_whitelist", "file", "-format_whitelist", Formats, .. index]);
        }
        throw new ArgumentException("A media input is an http(s) URL or an absolute file path.", nameof(input));
    }
}
