namespace Recorder.Core.Sessions;

/// <summary>What the server reads from a User-Agent header. Null where the header does not say.</summary>
/// <param name="BrowserVersion">The major version only ("124"): enough to group by, and what the UA reports reliably.</param>
/// <param name="DeviceType"><c>desktop</c>, <c>mobile</c> or <c>tablet</c>.</param>
public sealed record UserAgentInfo(string? Browser, string? BrowserVersion, string? Os, string? DeviceType);

/// <summary>
/// A small parser for the browsers that can run the recorder page (MediaRecorder). It looks for each
/// browser's own product token; the order matters because Chromium-based browsers also send
/// <c>Chrome/</c> and <c>Safari/</c>, and every iOS browser is Safari underneath. iPadOS 13+ Safari in
/// its default desktop mode sends a Mac UA: it reads as macOS/desktop, which no header can tell apart.
/// </summary>
public static class UserAgentParser
{
    public const string Desktop = "desktop";
    public const string Mobile = "mobile";
    public const string Tablet = "tablet";

    /// <summary>Longest header read; the audit log stores user agents at this bound too.</summary>
    public const int MaxLength = 512;

    // First match wins: a browser's own token before the engines it builds on.
    private static readonly (string Token, string Name)[] BrowserTokens =
    [
        ("SamsungBrowser/", "Samsung Internet"),
        ("OPR/", "Opera"),
        ("OPiOS/", "Opera"),
        ("OPT/", "Opera"),
        ("EdgA/", "Edge"),
        ("EdgiOS/", "Edge"),
        ("Edg/", "Edge"),
        ("Edge/", "Edge"),
        ("YaBrowser/", "Yandex Browser"),
        ("Vivaldi/", "Vivaldi"),
        ("FxiOS/", "Firefox"),
        ("Firefox/", "Firefox"),
        ("HeadlessChrome/", "Chrome Headless"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
    ];

    public static UserAgentInfo Parse(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return new UserAgentInfo(null, null, null, null);
        }
        var ua = userAgent.Length <= MaxLength ? userAgent : userAgent[..MaxLength];
        var (browser, version) = ParseBrowser(ua);
        var os = ParseOs(ua);
        return new UserAgentInfo(browser, version, os, ParseDeviceType(ua, os));
    }

    private static (string? Name, string? Version) ParseBrowser(string ua)
    {
        foreach (var (token, name) in BrowserTokens)
        {
            if (TokenIndex(ua, token) is { } index)
            {
                // Android's system WebView is Chrome with "; wv)": an app's embedded page, not the Chrome browser.
                var browser = name == "Chrome" && ua.Contains("; wv)", StringComparison.Ordinal) ? "Android WebView" : name;
                return (browser, MajorVersion(ua, index + token.Length));
            }
        }
        // Safari names itself only through "Version/x Safari/y" (and so do no other browsers left at this point).
        if (TokenIndex(ua, "Safari/") is not null && TokenIndex(ua, "Version/") is { } versionIndex)
        {
            return ("Safari", MajorVersion(ua, versionIndex + "Version/".Length));
        }
        return (null, null);
    }

    private static string? ParseOs(string ua)
    {
        if (ua.Contains("Windows", StringComparison.Ordinal))
        {
            return "Windows";
        }
        if (ua.Contains("iPad", StringComparison.Ordinal))
        {
            return "iPadOS";
        }
        // Before macOS: iPhone agents say "like Mac OS X".
        if (ua.Contains("iPhone", StringComparison.Ordinal) || ua.Contains("iPod", StringComparison.Ordinal))
        {
            return "iOS";
        }
        if (ua.Contains("CrOS", StringComparison.Ordinal))
        {
            return "ChromeOS";
        }
        // Before Linux: Android agents say "Linux; Android".
        if (ua.Contains("Android", StringComparison.Ordinal))
        {
            return "Android";
        }
        if (ua.Contains("Macintosh", StringComparison.Ordinal) || ua.Contains("Mac OS X", StringComparison.Ordinal))
        {
            return "macOS";
        }
        if (ua.Contains("Linux", StringComparison.Ordinal) || ua.Contains("X11", StringComparison.Ordinal))
        {
            return "Linux";
        }
        return null;
    }

    private static string? ParseDeviceType(string ua, string? os) => os switch
    {
        "iPadOS" => Tablet,
        "iOS" => Mobile,
        // Android tablets leave out "Mobile" (Chrome's convention); Firefox says "Tablet".
        "Android" => ua.Contains("Mobile", StringComparison.Ordinal) && !ua.Contains("Tablet", StringComparison.Ordinal) ? Mobile : Tablet,
        _ when ua.Contains("Tablet", StringComparison.Ordinal) => Tablet,
        _ when ua.Contains("Mobi", StringComparison.Ordinal) => Mobile,
        "Windows" or "macOS" or "Linux" or "ChromeOS" => Desktop,
        _ => null,
    };

    /// <summary>Where <paramref name="token"/> starts as a product token of its own (not inside "HeadlessChrome/").</summary>
    private static int? TokenIndex(string ua, string token)
    {
        for (var index = ua.IndexOf(token, StringComparison.Ordinal); index >= 0;
            index = ua.IndexOf(token, index + 1, StringComparison.Ordinal))
        {
            if (index == 0 || !char.IsAsciiLetter(ua[index - 1]))
            {
                return index;
            }
        }
        return null;
    }

    private static string? MajorVersion(string ua, int start)
    {
        var end = start;
        while (end < ua.Length && end - start < 6 && char.IsAsciiDigit(ua[end]))
        {
            end++;
        }
        return end > start ? ua[start..end] : null;
    }
}
