using System.Net;
using Recorder.Functions.Tests.DevHost;
using Xunit;

namespace Recorder.Functions.Tests.Api;

/// <summary>Browser pages on the configured origins may call the API with credentials; others may not.</summary>
public sealed class CorsTests : IAsyncLifetime
{
    private RunningDevHost host = null!;

    public async Task InitializeAsync()
        => host = await RunningDevHost.StartAsync(functionTypes: null, new Dictionary<string, string?> { ["Cors:AllowedOrigins:0"] = "https://app.example.test" });

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task A_preflight_from_an_allowed_origin_is_answered_for_credentialed_calls()
    {
        using var response = await PreflightAsync("https://app.example.test");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("https://app.example.test", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("true", response.Headers.GetValues("Access-Control-Allow-Credentials").Single());
    }

    [Fact]
    public async Task Another_origin_gets_no_cors_grant()
    {
        using var response = await PreflightAsync("https://evil.example.test");

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    private Task<HttpResponseMessage> PreflightAsync(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "api/recordings/uploads");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type");
        return host.Client.SendAsync(request);
    }
}
