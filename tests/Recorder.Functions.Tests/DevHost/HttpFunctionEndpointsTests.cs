using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Recorder.DevHost;
using Xunit;

namespace Recorder.Functions.Tests.DevHost;

public sealed class HttpFunctionEndpointsTests : IAsyncLifetime
{
    private RunningDevHost host = null!;

    public async Task InitializeAsync() => host = await RunningDevHost.StartAsync([typeof(KeyedFunctions), typeof(RouteFunctions)]);

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task Anonymous_function_needs_no_key_and_answers_camel_case_json()
    {
        using var response = await host.Client.GetAsync("api/open");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"greeting":"hello"}""", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("api/keyed")]
    [InlineData("api/keyed?code=wrong-key")]
    [InlineData("api/keyed?code=")]
    [InlineData("api/admin-only")]
    [InlineData("api/admin-only?code=" + RunningDevHost.FunctionKey)]
    public async Task Missing_or_wrong_key_answers_401_problem(string path)
    {
        using var response = await host.Client.GetAsync(path);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Wrong_key_in_the_header_answers_401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/keyed") { Headers = { { FunctionKeyCheck.KeyHeader, "wrong-key" } } };
        using var response = await host.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("api/keyed", RunningDevHost.FunctionKey)]
    [InlineData("api/keyed", RunningDevHost.MasterKey)]
    [InlineData("api/admin-only", RunningDevHost.MasterKey)]
    public async Task Key_is_accepted_in_the_query_and_in_the_header(string path, string key)
    {
        using var byQuery = await host.Client.GetAsync($"{path}?code={key}");
        using var request = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { { FunctionKeyCheck.KeyHeader, key } } };
        using var byHeader = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, byQuery.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byHeader.StatusCode);
    }

    [Fact]
    public async Task Route_values_are_bound_by_parameter_name()
    {
        var item = await host.Client.GetFromJsonAsync<JsonElement>("api/items/9007199254740993");
        var found = await host.Client.GetFromJsonAsync<JsonElement>("api/find/8a5f3b0e-52c1-4f7e-9d8a-0b6c2f1e4d3a/true");
        var foundWithoutFlag = await host.Client.GetFromJsonAsync<JsonElement>("api/find/8a5f3b0e-52c1-4f7e-9d8a-0b6c2f1e4d3a");

        Assert.Equal(9007199254740993, item.GetProperty("id").GetInt64());
        Assert.Equal("8a5f3b0e-52c1-4f7e-9d8a-0b6c2f1e4d3a", found.GetProperty("key").GetString());
        Assert.True(found.GetProperty("flag").GetBoolean());
        Assert.Equal(JsonValueKind.Null, foundWithoutFlag.GetProperty("flag").ValueKind);
    }

    [Theory]
    [InlineData("api/items/abc")]
    [InlineData("api/items/99999999999999999999")]
    [InlineData("api/find/not-a-guid")]
    [InlineData("api/find/8a5f3b0e-52c1-4f7e-9d8a-0b6c2f1e4d3a/maybe")]
    public async Task Route_value_that_does_not_convert_answers_400_problem(string path)
    {
        using var response = await host.Client.GetAsync(path);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("Route value", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Route_constraints_are_honoured()
    {
        using var matching = await host.Client.GetAsync("api/constrained/42");
        using var notMatching = await host.Client.GetAsync("api/constrained/abc");

        Assert.Equal(HttpStatusCode.OK, matching.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, notMatching.StatusCode);
    }

    [Fact]
    public async Task Methods_are_honoured_and_no_methods_means_all()
    {
        using var postToGetOnly = await host.Client.PostAsync("api/open", content: null);
        using var deleteToAny = await host.Client.DeleteAsync("api/AnyMethod");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, postToGetOnly.StatusCode);
        Assert.Equal(HttpStatusCode.OK, deleteToAny.StatusCode);
        Assert.Equal("DELETE", await deleteToAny.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Function_returning_Task_writes_its_own_response()
    {
        using var response = await host.Client.GetAsync("api/writes");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("accepted", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("throws", "Throws")]
    [InlineData("throws-at-once", "ThrowsAtOnce")]
    public async Task Exception_answers_500_problem_without_its_message_and_is_logged(string route, string function)
    {
        using var response = await host.Client.GetAsync("api/" + route);

        var problem = await AssertProblemAsync(response, HttpStatusCode.InternalServerError);
        Assert.DoesNotContain("secret", problem.GetRawText());
        var logged = Assert.Single(host.Logs.WithEvent(nameof(DevHostLog.FunctionFailed)), log => log.FunctionName == function);
        Assert.Equal("Function {FunctionName} failed", logged.Values["{OriginalFormat}"]);
        // The function's own exception, as the worker logs it: not reflection's TargetInvocationException around it.
        Assert.IsType<InvalidOperationException>(logged.Exception);
        Assert.Equal("secret connection detail", logged.Exception.Message);
    }

    [Fact]
    public async Task Function_level_function_without_a_configured_key_refuses_to_start()
    {
        var settings = RunningDevHost.BaselineSettings();
        settings[FunctionKeyCheck.FunctionKeySetting] = null;

        var error = await Assert.ThrowsAsync<DevHostStartupException>(() => RunningDevHost.StartAsync([typeof(KeyedFunctions)], settings));

        Assert.Contains(FunctionKeyCheck.FunctionKeySetting, error.Message);
        Assert.Contains("Keyed", error.Message);
    }

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }
}
