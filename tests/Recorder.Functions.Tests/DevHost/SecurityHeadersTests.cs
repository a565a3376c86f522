using System.Net;
using System.Text.RegularExpressions;
using Recorder.DevHost;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests.DevHost;

/// <summary>
/// API responses carry host.json's custom headers (as the Functions host adds them in Azure); the demo
/// page carries its own: a Content-Security-Policy without inline script, never framed, nosniff, no referrer.
/// </summary>
public sealed partial class SecurityHeadersTests : IAsyncLifetime
{
    private RunningDevHost host = null!;

    public async Task InitializeAsync() => host = await RunningDevHost.StartAsync([typeof(KeyedFunctions)]);

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Theory]
    [InlineData("api/open", HttpStatusCode.OK)]
    [InlineData("api/keyed", HttpStatusCode.Unauthorized)]
    [InlineData("api/no-such-function", HttpStatusCode.NotFound)]
    public async Task Api_responses_forbid_sniffing_framing_and_referrers(string path, HttpStatusCode status)
    {
        using var response = await host.Client.GetAsync(path);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(["nosniff"], response.Headers.GetValues("X-Content-Type-Options"));
        Assert.Equal(["default-src 'none'; frame-ancestors 'none'"], response.Headers.GetValues("Content-Security-Policy"));
        Assert.Equal(["no-referrer"], response.Headers.GetValues("Referrer-Policy"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("app.js")]
    [InlineData("recorder-client.js")]
    [InlineData("styles.css")]
    public async Task The_page_allows_its_own_files_and_the_recordings_account_only_and_is_never_framed(string path)
    {
        using var response = await host.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["nosniff"], response.Headers.GetValues("X-Content-Type-Options"));
        Assert.Equal(["no-referrer"], response.Headers.GetValues("Referrer-Policy"));
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        var directives = policy.Split(';', StringSplitOptions.TrimEntries).ToDictionary(d => d.Split(' ')[0], d => d.Split(' ')[1..]);
        Assert.Equal(["'none'"], directives["default-src"]);
        Assert.Equal(["'self'"], directives["script-src"]);
        Assert.Equal(["'self'"], directives["style-src"]);
        Assert.Equal(["'none'"], directives["frame-ancestors"]);
        // The baseline settings' storage account: block uploads, thumbnails and playback go there.
        Assert.Equal(["'self'", "http://127.0.0.1:9"], directives["connect-src"]);
        Assert.Contains("http://127.0.0.1:9", directives["media-src"]);
        Assert.DoesNotContain("unsafe", policy, StringComparison.Ordinal);
    }

    [Fact]
    public void The_page_has_no_inline_script_or_style_its_policy_would_block()
    {
        var html = File.ReadAllText(Path.Combine(TestEnvironment.RepositoryRoot, "web", "recorder", "index.html"));

        Assert.All(ScriptTag().Matches(html), script => Assert.Matches(@"\ssrc=""[^""]+""", script.Value));
        Assert.DoesNotMatch(@"<style|\sstyle=|\son[a-z]+=|javascript:", html);
    }

    [GeneratedRegex("<script[^>]*>")]
    private static partial Regex ScriptTag();
}
