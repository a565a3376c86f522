using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Recorder.DevHost;
using Recorder.Functions.Tests.Api;
using Xunit;

namespace Recorder.Functions.Tests.DevHost;

/// <summary>
/// Every error the dev host answers carries a problem body, also those no function answers: an unknown
/// route, a method the route does not take, and the request limits and header values Kestrel would
/// otherwise refuse with an empty body. What Kestrel still answers itself is pinned too (docs/api.md).
/// </summary>
public sealed class ProblemResponsesTests : IAsyncLifetime
{
    private RunningDevHost host = null!;

    public async Task InitializeAsync() => host = await RunningDevHost.StartAsync([typeof(KeyedFunctions)]);

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Theory]
    [InlineData("api/no-such-function")]
    [InlineData("no-such-page.html")]
    public async Task An_unknown_route_is_404_problem(string path)
    {
        using var response = await host.Client.GetAsync(path);

        await AssertProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_method_the_route_does_not_take_is_405_problem_naming_the_allowed_ones()
    {
        using var response = await host.Client.DeleteAsync("api/open");

        var problem = await AssertProblemAsync(response, HttpStatusCode.MethodNotAllowed);
        Assert.Equal(["GET"], response.Content.Headers.Allow);
        Assert.Equal("This resource does not accept DELETE; it accepts GET.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_request_line_over_8_KiB_is_414_problem()
    {
        using var atLimit = await host.Client.GetAsync("api/open?q=" + new string('a', ProblemResponses.MaxRequestLineBytes - "GET /api/open?q= HTTP/1.1\r\n".Length));
        using var overLimit = await host.Client.GetAsync("api/open?q=" + new string('a', ProblemResponses.MaxRequestLineBytes));

        Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);
        await AssertProblemAsync(overLimit, HttpStatusCode.RequestUriTooLong);
    }

    [Fact]
    public async Task Header_fields_over_32_KiB_or_more_than_100_are_431_problem()
    {
        using var large = new HttpRequestMessage(HttpMethod.Get, "api/open") { Headers = { { "X-Large", new string('a', ProblemResponses.MaxHeaderBytes) } } };
        using var many = new HttpRequestMessage(HttpMethod.Get, "api/open");
        for (var i = 0; i < ProblemResponses.MaxHeaderCount; i++)
        {
            many.Headers.Add($"X-Field-{i}", "a");
        }

        await AssertProblemAsync(await host.Client.SendAsync(large), HttpStatusCode.RequestHeaderFieldsTooLarge);
        await AssertProblemAsync(await host.Client.SendAsync(many), HttpStatusCode.RequestHeaderFieldsTooLarge);
    }

    [Fact]
    public async Task A_header_value_that_is_not_utf8_is_400_problem_and_one_that_is_passes()
    {
        // ü as one Latin-1 byte, 0xFC, which no UTF-8 sequence starts with.
        var invalid = await SendRawAsync(Encoding.Latin1.GetBytes("GET /api/open HTTP/1.1\r\nHost: x\r\nX-Device: M\u00FCge\r\nConnection: close\r\n\r\n"));
        var valid = await SendRawAsync(Encoding.UTF8.GetBytes("GET /api/open HTTP/1.1\r\nHost: x\r\nX-Device: Müge's iPad\r\nConnection: close\r\n\r\n"));

        Assert.StartsWith("HTTP/1.1 400 ", invalid);
        Assert.Contains("Content-Type: application/problem+json", invalid);
        Assert.Contains("\"detail\":\"The value of header 'X-Device' is not valid UTF-8.\"", invalid);
        Assert.StartsWith("HTTP/1.1 200 ", valid);
    }

    [Fact]
    public async Task Beyond_kestrels_own_limits_and_for_what_it_cannot_parse_kestrel_answers_with_an_empty_body()
    {
        using var beyondLine = await host.Client.GetAsync("api/open?q=" + new string('a', ProblemResponses.KestrelMaxRequestLineBytes));
        var nul = await SendRawAsync("GET /api/open HTTP/1.1\r\nHost: x\r\nX-Device: a\0b\r\nConnection: close\r\n\r\n"u8.ToArray());

        Assert.Equal(HttpStatusCode.RequestUriTooLong, beyondLine.StatusCode);
        Assert.Equal(0, beyondLine.Content.Headers.ContentLength);
        Assert.StartsWith("HTTP/1.1 400 ", nul);
        Assert.Contains("Content-Length: 0", nul);
    }

    /// <summary>A problem body in the app's own form: its type names the status.</summary>
    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var problem = await response.AssertProblemAsync(status);
        Assert.Equal($"https://httpstatuses.io/{(int)status}", problem.GetProperty("type").GetString());
        return problem;
    }

    /// <summary>Bytes no HttpClient sends (it refuses such header values), and the whole answer as text.</summary>
    private async Task<string> SendRawAsync(byte[] request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(host.Client.BaseAddress!.Host, host.Client.BaseAddress.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(request);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }
}
