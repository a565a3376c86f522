using Recorder.Core.Sessions;
using Xunit;

namespace Recorder.Core.Tests.Sessions;

public sealed class UserAgentParserTests
{
    public static TheoryData<string, string?, string?, string?, string?> RealAgents => new()
    {
        // Chrome
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome", "124", "Windows", "desktop" },
        { "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome", "124", "macOS", "desktop" },
        { "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome", "124", "Linux", "desktop" },
        { "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome", "124", "ChromeOS", "desktop" },
        { "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", "Chrome", "124", "Android", "mobile" },
        { "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome", "124", "Android", "tablet" },
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1", "Chrome", "124", "iOS", "mobile" },
        { "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1", "Chrome", "124", "iPadOS", "tablet" },
        { "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.29 Safari/537.36", "Chrome Headless", "124", "Linux", "desktop" },
        { "Mozilla/5.0 (Linux; Android 14; Pixel 8; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36", "Android WebView", "124", "Android", "mobile" },
        // Edge
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51", "Edge", "124", "Windows", "desktop" },
        { "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51", "Edge", "124", "macOS", "desktop" },
        { "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.2478.64", "Edge", "124", "Android", "mobile" },
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/124.2478.50 Mobile/15E148 Safari/605.1.15", "Edge", "124", "iOS", "mobile" },
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045", "Edge", "18", "Windows", "desktop" },
        // Firefox
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox", "125", "Windows", "desktop" },
        { "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox", "125", "macOS", "desktop" },
        { "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox", "125", "Linux", "desktop" },
        { "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0", "Firefox", "125", "Android", "mobile" },
        { "Mozilla/5.0 (Android 14; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0", "Firefox", "125", "Android", "tablet" },
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15", "Firefox", "125", "iOS", "mobile" },
        // Safari
        { "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15", "Safari", "17", "macOS", "desktop" },
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", "Safari", "17", "iOS", "mobile" },
        { "Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", "Safari", "17", "iPadOS", "tablet" },
        { "Mozilla/5.0 (iPod touch; CPU iPhone OS 15_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6.6 Mobile/15E148 Safari/604.1", "Safari", "15", "iOS", "mobile" },
        // Samsung Internet, Opera
        { "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", "Samsung Internet", "24", "Android", "mobile" },
        { "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Safari/537.36", "Samsung Internet", "23", "Android", "tablet" },
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0", "Opera", "110", "Windows", "desktop" },
        { "Mozilla/5.0 (Linux; Android 10; VOG-L29) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 OPR/81.1.4292.78446", "Opera", "81", "Android", "mobile" },
        // What no header can say: iPadOS Safari asks for desktop sites with a Mac user agent.
        { "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", "Safari", "17", "macOS", "desktop" },
        // Not a browser
        { "curl/8.5.0", null, null, null, null },
        { "Googlebot/2.1 (+http://www.google.com/bot.html)", null, null, null, null },
        { "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2)", null, null, "Windows", "desktop" },
    };

    [Theory]
    [MemberData(nameof(RealAgents))]
    public void Reads_browser_os_and_device_type_of_real_user_agents(string userAgent, string? browser, string? version, string? os, string? deviceType)
        => Assert.Equal(new UserAgentInfo(browser, version, os, deviceType), UserAgentParser.Parse(userAgent));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void A_missing_header_says_nothing(string? userAgent)
        => Assert.Equal(new UserAgentInfo(null, null, null, null), UserAgentParser.Parse(userAgent));

    [Fact]
    public void A_product_token_counts_only_where_it_starts()
        => Assert.Equal("Chrome Headless", UserAgentParser.Parse("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/99.0 Safari/537.36").Browser);

    [Fact]
    public void Reads_at_most_the_bounded_length()
    {
        var padded = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) " + new string('x', UserAgentParser.MaxLength) + " Firefox/125.0";

        Assert.Equal(new UserAgentInfo(null, null, "Windows", "desktop"), UserAgentParser.Parse(padded));
    }

    [Fact]
    public void A_token_without_digits_has_no_version()
        => Assert.Equal(new UserAgentInfo("Firefox", null, "Linux", "desktop"), UserAgentParser.Parse("Mozilla/5.0 (X11; Linux x86_64) Firefox/"));
}
