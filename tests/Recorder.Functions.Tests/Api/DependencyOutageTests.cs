using System.Diagnostics;
using System.Net;
using Dapper;
using Npgsql;
using Recorder.Core.Health;
using Recorder.Functions.Tests.DevHost;
using Recorder.Functions.Tests.Ingest;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests.Api;

/// <summary>
/// PostgreSQL or storage that cannot be reached is a 503 problem+json with Retry-After on every route that needs it, never
/// a 500: the client tries again later. Each route is called with its valid request of
/// <see cref="HttpFunctionRequests"/> on a dev host whose database, or storage, is a closed port, beside a live host over
/// the same database and containers that makes the caller and what the route names.
/// </summary>
public sealed class DependencyOutageTests(OutageTestHosts hosts) : IClassFixture<OutageTestHosts>
{
    /// <summary>
    /// The routes whose answer needs storage: a fresh upload URL checks the blob is not committed yet, an upload's blocks
    /// are storage's list, an export is queued before its row commits. Every other route answers as usual while storage
    /// is down (a heartbeat's check of a live upload waits for the next one): upload and read URLs
    /// are signed with the account key, without a call to storage; a delete leaves the recording 'deleting' for the
    /// lifecycle sweep, an erasure for the privacy sweep, a BlobCreated delivery its ingest message in the outbox.
    /// </summary>
    private static readonly HashSet<string> NeedStorage = ["GetUpload", "RenewUploadUrl", "RequestExport"];

    /// <summary>Event Grid waits 30 s for an answer, and a client's retries give up after about as long: an outage is answered in seconds.</summary>
    private static readonly TimeSpan AnswerWithin = TimeSpan.FromSeconds(10);

    /// <summary>Every HTTP function of the app, found by reflection: a new route is tested without being listed here.</summary>
    public static TheoryData<string> Functions => new(HttpFunctionRequests.Functions.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Functions))]
    public async Task With_postgresql_unreachable_every_route_answers_503_with_retry_after(string function)
    {
        var subject = await HttpFunctionRequests.SubjectAsync(hosts.Live);

        using var response = await SendPromptlyAnsweredAsync(function, subject, hosts.DatabaseDown);

        await AssertUnavailableAsync(function, response, HealthService.Database);
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public async Task With_storage_unreachable_the_routes_that_need_it_answer_503_with_retry_after_and_change_nothing(string function)
    {
        var subject = await HttpFunctionRequests.SubjectAsync(hosts.Live);
        var before = await HttpFunctionRequests.WrittenAsync(hosts.Live, subject.User.Id);

        using var response = await SendPromptlyAnsweredAsync(function, subject, hosts.StorageDown);

        if (NeedStorage.Contains(function) || function == nameof(Recorder.Functions.Http.Health))
        {
            await AssertUnavailableAsync(function, response, HealthService.Storage);
            Assert.Equal(before, await HttpFunctionRequests.WrittenAsync(hosts.Live, subject.User.Id));
        }
        else
        {
            Assert.True((int)response.StatusCode < 500, $"{function} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task A_database_that_answers_with_an_error_is_a_500_not_an_outage()
    {
        var user = await hosts.Live.Api.SignInNewUserAsync();
        // The app's role in a database without the recorder's schema: PostgreSQL answers every query, with an error.
        var settings = hosts.Live.Settings();
        settings["Database:AppConnectionString"] = new NpgsqlConnectionStringBuilder(hosts.Live.Api.Database.AppConnectionString) { Database = "postgres" }.ConnectionString;
        await using var broken = await RunningDevHost.StartAsync(functionTypes: null, settings);

        using var response = await user.Client.GetAsync(new Uri(broken.Client.BaseAddress!, "api/me/storage"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.InternalServerError);
        Assert.False(response.Headers.Contains("Retry-After"));
        // HttpApi answers it (under the Functions host an unhandled exception has no problem body): the trace id, not the error.
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.StartsWith("The request failed on our side; it is logged under trace id ", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("does not exist", detail, StringComparison.Ordinal);
        Assert.Contains(broken.Logs.Entries, entry => entry.Exception is PostgresException { SqlState: PostgresErrorCodes.UndefinedFunction });
    }

    [Fact]
    public async Task A_live_uploads_heartbeat_still_counts_while_storage_is_unreachable_and_its_check_waits()
    {
        var user = await hosts.Live.Api.SignInNewUserAsync();
        var session = (await (await user.Client.PostAsync("api/recording-sessions", Api.Json("""{"recordingType": "camera"}""")))
            .AssertOkAsync(HttpStatusCode.Created)).GetProperty("id").GetInt64();
        var id = (await (await user.Client.PostAsync("api/recordings/uploads", Api.Json(Api.UploadRequest(body =>
        {
            body.Remove("fileSize");
            body["live"] = true;
            body["sessionId"] = session;
        })))).AssertOkAsync(HttpStatusCode.Created)).GetProperty("recordingId").GetInt64();
        var maintenance = hosts.Live.Api.Database.MaintenanceConnectionString;
        await using (var connection = new NpgsqlConnection(maintenance))
        {
            await connection.ExecuteAsync("UPDATE recordings SET live_contact_at = now() - interval '1 hour' WHERE id = @id", new { id });
        }

        // The page can stage nothing while storage is down either: its contact is what must not be lost.
        using var response = await user.Client.PostAsync(
            new Uri(hosts.StorageDown.Client.BaseAddress!, $"api/recording-sessions/{session}/heartbeat"),
            Api.Json("""{"stagedBytes": 0, "stagedSeconds": 1}"""));

        await response.AssertOkAsync(HttpStatusCode.NoContent);
        await using var check = new NpgsqlConnection(maintenance);
        Assert.True(await check.ExecuteScalarAsync<bool>(
            "SELECT live_contact_at > now() - interval '1 minute' AND file_size = 1 FROM recordings WHERE id = @id", new { id }));
    }

    private static async Task<HttpResponseMessage> SendPromptlyAnsweredAsync(string function, Subject subject, RunningDevHost host)
    {
        var stopwatch = Stopwatch.StartNew();
        var response = await HttpFunctionRequests.SendAsync(subject.User, HttpFunctionRequests.Functions[function], HttpFunctionRequests.First(function, subject), host.Client.BaseAddress);
        Assert.True(stopwatch.Elapsed < AnswerWithin, $"{function} answered {(int)response.StatusCode} after {stopwatch.Elapsed.TotalSeconds:0.0} s");
        return response;
    }

    private static async Task AssertUnavailableAsync(string function, HttpResponseMessage response, string dependency)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{function} answered {(int)response.StatusCode}: {text}");
        if (function == nameof(Recorder.Functions.Http.Health))
        {
            // Health answers its own 503: its report, naming what is down (docs/api.md, GET /api/health).
            var report = await response.AssertOkAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("unhealthy", report.GetProperty("dependencies").GetProperty(dependency).GetProperty("status").GetString());
            return;
        }
        var problem = await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Contains(dependency, problem.GetProperty("detail").GetString());
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
    }
}

/// <summary>
/// The webhook test host (live: it makes the callers and their recordings), and two dev hosts of the app over the same
/// database and containers: one with PostgreSQL on a closed port, one with storage on a closed port.
/// </summary>
public sealed class OutageTestHosts : IAsyncLifetime
{
    public WebhookTestHost Live { get; } = new();

    internal RunningDevHost DatabaseDown { get; private set; } = null!;

    internal RunningDevHost StorageDown { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Live.InitializeAsync();
        DatabaseDown = await RunningDevHost.StartAsync(functionTypes: null, Outage(settings =>
        {
            foreach (var key in (string[])["Database:AppConnectionString", "Database:MaintenanceConnectionString"])
            {
                settings[key] = new NpgsqlConnectionStringBuilder(settings[key]) { Port = ClosedPort.Next(), Timeout = 3 }.ConnectionString;
            }
        }));
        StorageDown = await RunningDevHost.StartAsync(functionTypes: null, Outage(settings => settings["RecordingsStorage"] = TestStorage.StoppedConnectionString()));
    }

    private Dictionary<string, string?> Outage(Action<Dictionary<string, string?>> takeDown)
    {
        var settings = Live.Settings();
        // Its queue workers stay off the live host's queue.
        settings["IngestQueueName"] = "outage-" + Guid.NewGuid().ToString("N")[..12];
        takeDown(settings);
        return settings;
    }

    public async Task DisposeAsync()
    {
        await StorageDown.DisposeAsync();
        await DatabaseDown.DisposeAsync();
        await Live.DisposeAsync();
    }
}
