using Microsoft.Extensions.Configuration;
using Recorder.DevHost;
using Xunit;

namespace Recorder.Functions.Tests.DevHost;

public sealed class HostJsonTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("hostjson-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private HostJson Load(string json, params (string Key, string Value)[] settings)
    {
        var path = Path.Combine(folder, "host.json");
        File.WriteAllText(path, json);
        return HostJson.Load(path, Settings(settings));
    }

    private static IConfiguration Settings(params (string Key, string Value)[] values)
        => new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [Fact]
    public void Without_a_file_or_queue_settings_the_defaults_apply()
    {
        var hostJson = HostJson.Load(null, Settings());

        Assert.Equal("api", hostJson.RoutePrefix);
        Assert.Equal(QueueHostOptions.Defaults, hostJson.Queues());
        Assert.Equal((16, 5, TimeSpan.FromSeconds(2), true), (QueueHostOptions.Defaults.BatchSize, QueueHostOptions.Defaults.MaxDequeueCount,
            QueueHostOptions.Defaults.MaxPollingInterval, QueueHostOptions.Defaults.Base64Messages));
        Assert.Equal(TimeSpan.FromSeconds(3), hostJson.Queues().RetryDelay); // visibilityTimeout 0: the dev host's short delay
    }

    [Fact]
    public void Queue_settings_are_read_from_extensions_queues()
    {
        var hostJson = Load("""
            {
              // comments and trailing commas, as the host allows
              "version": "2.0",
              "extensions": {
                "http": { "routePrefix": "/v1/" },
                "queues": { "batchSize": 4, "maxDequeueCount": 2, "visibilityTimeout": "00:00:10", "maxPollingInterval": "00:00:05", "messageEncoding": "none", },
              },
            }
            """);

        Assert.Equal("v1", hostJson.RoutePrefix);
        Assert.Equal(new QueueHostOptions(4, 2, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), Base64Messages: false), hostJson.Queues());
        Assert.Equal(TimeSpan.FromSeconds(10), hostJson.Queues().RetryDelay);
    }

    [Fact]
    public void AzureFunctionsJobHost_settings_override_the_file()
    {
        var hostJson = Load("""{ "extensions": { "http": { "routePrefix": "" }, "queues": { "maxDequeueCount": 7, "batchSize": 3 } } }""",
            ("AzureFunctionsJobHost:extensions:queues:maxDequeueCount", "2"),
            ("AzureFunctionsJobHost:extensions:http:routePrefix", "edge"));

        Assert.Equal("edge", hostJson.RoutePrefix);
        Assert.Equal((2, 3), (hostJson.Queues().MaxDequeueCount, hostJson.Queues().BatchSize));
    }

    [Fact]
    public void Empty_route_prefix_stays_empty()
    {
        Assert.Equal("", Load("""{ "extensions": { "http": { "routePrefix": "" } } }""").RoutePrefix);
    }

    [Theory]
    [InlineData("batchSize", "0")]
    [InlineData("batchSize", "33")]
    [InlineData("maxDequeueCount", "0")]
    [InlineData("maxDequeueCount", "five")]
    [InlineData("visibilityTimeout", "-00:00:01")]
    [InlineData("maxPollingInterval", "00:00:00.050")]
    [InlineData("messageEncoding", "utf8")]
    public void Queue_settings_out_of_range_stop_the_start_naming_the_key(string key, string value)
    {
        var hostJson = Load("{}", ($"AzureFunctionsJobHost:extensions:queues:{key}", value));

        var error = Assert.Throws<DevHostStartupException>(() => hostJson.Queues());

        Assert.Contains($"extensions.queues.{key}", error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    [Fact]
    public void Custom_headers_are_read_from_extensions_http_and_overridden_by_name()
    {
        var hostJson = Load(
            """{ "extensions": { "http": { "customHeaders": { "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin" } } } }""",
            ("AzureFunctionsJobHost:extensions:http:customHeaders:Referrer-Policy", "no-referrer"));

        Assert.Equal(
            new Dictionary<string, string> { ["X-Content-Type-Options"] = "nosniff", ["Referrer-Policy"] = "no-referrer" },
            hostJson.CustomHeaders());
    }

    [Fact]
    public void File_that_is_not_json_stops_the_start()
    {
        var error = Assert.Throws<DevHostStartupException>(() => Load("{ not json"));

        Assert.Contains("host.json", error.Message);
    }
}
