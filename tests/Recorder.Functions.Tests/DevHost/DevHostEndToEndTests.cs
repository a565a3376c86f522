using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Migrations;
using Recorder.DevHost;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests.DevHost;

/// <summary>
/// The dev host with the real Recorder.Functions assembly, as scripts/run.sh starts it, over a migrated
/// database of its own and containers of its own in Azurite.
/// </summary>
public sealed class DevHostEndToEndTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>, IAsyncLifetime
{
    private RunningDevHost host = null!;

    public async Task InitializeAsync()
    {
        var storage = await TestStorage.CreateContainersAsync();
        host = await RunningDevHost.StartAsync(functionTypes: null, new Dictionary<string, string?>
        {
            ["Database:AppConnectionString"] = database.AppConnectionString,
            ["Database:MaintenanceConnectionString"] = database.MaintenanceConnectionString,
            ["RecordingsStorage"] = TestEnvironment.StorageConnectionString,
            ["Storage:UploadsContainer"] = storage.UploadsContainer,
        });
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public void The_app_functions_are_discovered()
    {
        var catalog = host.App.Services.GetRequiredService<FunctionCatalog>();

        Assert.Contains(catalog.Http, f => f.Name == "Health" && f.Route == "api/health");
        Assert.Contains(catalog.Http, f => f.Name == "SchemaStatus" && f.Route == "api/ops/schema");
        Assert.Contains(catalog.Timers, f => f.Name == "PartitionMaintenance" && f.Schedule.Expression == "%PartitionMaintenanceSchedule%");
    }

    [Fact]
    public async Task Schema_status_without_a_key_answers_401_problem()
    {
        using var response = await host.Client.GetAsync("api/ops/schema");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(401, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData(FunctionKeyCheck.KeyHeader)]
    [InlineData(FunctionKeyCheck.KeyQueryParameter)]
    public async Task Schema_status_with_the_function_key_lists_the_applied_migrations(string keyPlace)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, keyPlace == FunctionKeyCheck.KeyHeader ? "api/ops/schema" : $"api/ops/schema?code={RunningDevHost.FunctionKey}");
        if (keyPlace == FunctionKeyCheck.KeyHeader)
        {
            request.Headers.Add(FunctionKeyCheck.KeyHeader, RunningDevHost.FunctionKey);
        }
        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var shipped = MigrationScript.LoadDirectory(TestEnvironment.MigrationsDirectory).Select(s => s.Name).ToList();
        Assert.Equal(shipped, body.GetProperty("applied").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        Assert.Equal(shipped[^1], body.GetProperty("latest").GetString());
    }

    [Fact]
    public async Task Health_is_200_when_database_and_storage_answer()
    {
        using var response = await host.Client.GetAsync("api/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("healthy", body.GetProperty("status").GetString());
        Assert.Equal("healthy", body.GetProperty("dependencies").GetProperty("database").GetProperty("status").GetString());
        Assert.Equal("healthy", body.GetProperty("dependencies").GetProperty("storage").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_is_503_naming_a_stopped_database()
    {
        await using var stopped = await RunningDevHost.StartAsync(functionTypes: null, new Dictionary<string, string?>
        {
            ["RecordingsStorage"] = TestEnvironment.StorageConnectionString,
            ["Storage:UploadsContainer"] = (await TestStorage.CreateContainersAsync()).UploadsContainer,
        });

        using var response = await stopped.Client.GetAsync("api/health");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var dependencies = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("dependencies");
        Assert.Equal("unhealthy", dependencies.GetProperty("database").GetProperty("status").GetString());
        Assert.Equal("unreachable", dependencies.GetProperty("database").GetProperty("reason").GetString());
        Assert.Equal("healthy", dependencies.GetProperty("storage").GetProperty("status").GetString());
    }
}
