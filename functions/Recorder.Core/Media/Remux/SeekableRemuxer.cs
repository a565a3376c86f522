using Microsoft.Extensions.Options;
using Recorder.Core.Media.Ffmpeg;

namespace Recorder.Core.Media.Remux;

/// <summary>
/// Rewrites a WebM/Matroska without Duration and Cues (Chrome's MediaRecorder) into one a player can seek:
/// the same streams copied (<c>-c copy</c>, no re-encoding) into <see cref="SeekableContainer"/>, written to a
/// local file because the muxer goes back to the start to fill in Duration and the Cues index when it finishes.
/// </summary>
public sealed class SeekableRemuxer(FfmpegRunner runner, IOptions<MediaOptions> options)
{
    /// <summary>
    /// Null once the copy is written; else why ffmpeg could not write it (the media, not the network: a failed read
    /// throws <see cref="MediaReadException"/>, which a later attempt may not meet).
    /// </summary>
    public async Task<string?> RemuxAsync(
        string input, string outputPath, SeekableContainer container, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var media = options.Value;
        var source = FfmpegInput.From(input, readsWholeFile: true);
        var command = new FfmpegCommand(
            media.FfmpegPath,
            MediaOptions.FfmpegPathSetting,
            ["-v", "error", "-nostdin", "-y", .. source.Options, "-i", source.Url, "-map", "0", "-c", "copy", "-f", container.Format,
                outputPath],
            timeout,
            MaxOutputBytes: 64 * 1024);
        var result = await runner.RunAsync(command, cancellationToken);
        if (result.ExitCode == 0)
        {
            return null;
        }
        var reason = FfmpegErrors.Reason(command, result);
        return FfmpegErrors.IsReadFailure(result.Error) ? throw new MediaReadException($"ffmpeg could not read {source.Display}: {reason}")
            : reason;
    }
}
