using System.Text.RegularExpressions;

namespace Recorder.Core.Media.Ffmpeg;

/// <summary>Reads what ffprobe and ffmpeg say on standard error when they fail.</summary>
public static partial class FfmpegErrors
{
    public const int MaxReasonChars = 1000;

    /// <summary>
    /// True when the input could not be fetched rather than parsed. A generic "4XX" is not one: for a
    /// blob it is 416, the range request on an empty blob, which no retry will fix.
    /// </summary>
    public static bool IsReadFailure(string error) => ReadFailure().IsMatch(error);

    /// <summary>Standard error as one bounded line, without the per-run pointers ffmpeg prints (<c>[mov @ 0x55…]</c>).</summary>
    public static string Reason(FfmpegCommand command, FfmpegResult result)
    {
        var lines = Pointer().Replace(UrlRedaction.StripQueries(result.Error), "")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var reason = lines.Length == 0 ? $"{command.Name} exited with code {result.ExitCode}" : string.Join("; ", lines.Distinct());
        return reason.Length <= MaxReasonChars ? reason : reason[..(MaxReasonChars - 1)] + "…";
    }

    [GeneratedRegex(
        @"Server returned (40[0134]|5\d\d|5XX)|Connection refused|Connection timed out|Connection reset|Network is unreachable|" +
        @"No route to host|Failed to resolve hostname|No such file or directory|Permission denied",
        RegexOptions.CultureInvariant)]
    private static partial Regex ReadFailure();

    [GeneratedRegex(@" @ 0x[0-9a-f]+", RegexOptions.CultureInvariant)]
    private static partial Regex Pointer();
}
