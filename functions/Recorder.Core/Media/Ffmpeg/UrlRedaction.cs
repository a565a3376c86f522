using System.Text.RegularExpressions;

namespace Recorder.Core.Media.Ffmpeg;

/// <summary>
/// Removes URL queries from text. ffprobe and ffmpeg quote their input URL in errors, and the input
/// is a read SAS whose query holds the signature.
/// </summary>
public static partial class UrlRedaction
{
    public static string StripQueries(string text) => Signature().Replace(UrlQuery().Replace(text, "${url}"), "[redacted]");

    /// <summary>An URL without its query, for logs.</summary>
    public static string StripQuery(Uri uri) => uri.GetLeftPart(UriPartial.Path);

    // The query runs to a space or quote; ffmpeg's "URL: message" leaves a ':' that is not part of it.
    [GeneratedRegex(@"(?<url>\b[a-z][a-z0-9+.\-]*://[^\s?'""<>]*)\?[^\s'""<>]*?(?=:?(?:[\s'""<>]|$))",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UrlQuery();

    // A signature outside a recognisable URL (an URL broken across lines, say) is masked as well.
    [GeneratedRegex(@"\bsig=[^&\s'""<>]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Signature();
}
