using Microsoft.Extensions.Options;
using Recorder.Core.Media.Ffmpeg;

namespace Recorder.Core.Media.Remux;

/// <summary>
/// Rewrites a WebM without Duration and Cues (Chrome's MediaRecorder) into one a player can seek:
/// the same streams copied (<c>-c copy</c>, no re-encoding), written to a local file because the
/// muxer goes back to the start to fill in Duration and the Cues index when it finishes.
/// </summary>
public sealed class SeekableRemuxer(FfmpegRunner runner, IOptions<MediaOptions> options)
{
    public async Task RemuxAsync(string input, string outputPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var media = options.Value;
        var source = FfmpegInput.From(input, readsWholeFile: true);
        var command = new FfmpegCommand(
            media.FfmpegPath,
            MediaOptions.FfmpegPathSetting,
            ["-v", "error", "-nostdin", "-y", .. source.Options, "-i", source.Url, "-map", "0", "-c", "copy", "-f", "webm", outputPath],
            timeout,
            MaxOutputBytes: 64 * 1024);
        var result = await runner.RunAsync(command, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new MediaReadException($"ffmpeg could not remux the recording: {result.Error.Trim()}");
        }
    }
}
