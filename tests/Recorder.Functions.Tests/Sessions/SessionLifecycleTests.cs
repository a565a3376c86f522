using System.Net;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Recorder.Core.Sessions;
using Recorder.Functions.Tests.Api;
using Xunit;

namespace Recorder.Functions.Tests.Sessions;

/// <summary>Start, heartbeat, complete and interrupt over HTTP against real PostgreSQL: every transition, repeats and conflicts.</summary>
public sealed class SessionLifecycleTests(ApiTestHost api) : IClassFixture<ApiTestHost>
{
    private static readonly object CompleteBody = new { duration = 10 };
    private static readonly object InterruptBody = new { errorMessage = "The camera was unplugged.", errorCode = "device_lost" };

    [Fact]
    public async Task Starts_an_active_session_on_the_servers_clock_with_what_the_user_agent_says()
    {
        var user = await api.SignInNewUserAsync();
        var before = await DatabaseNowAsync();

        var response = await user.PostStartAsync(
            new { recordingType = "screen-camera", settings = new { resolution = "1080p", fps = 30 }, deviceInfo = new { screen = new { width = 2560, height = 1440 }, microphone = "USB" } },
            SessionApi.ChromeOnWindows);
        var session = await response.AssertOkAsync(HttpStatusCode.Created);

        var after = await DatabaseNowAsync();
        var id = session.GetProperty("id").GetInt64();
        Assert.Equal($"/api/recording-sessions/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("active", session.GetProperty("status").GetString());
        Assert.Equal("screen-camera", session.GetProperty("recordingType").GetString());
        var startedAt = session.GetProperty("startedAt").GetDateTime();
        Assert.InRange(startedAt, before, after);
        Assert.Equal(startedAt, session.GetProperty("lastHeartbeatAt").GetDateTime());
        Assert.Equal(JsonValueKind.Null, session.GetProperty("endedAt").ValueKind);
        Assert.Equal(30, session.GetProperty("settings").GetProperty("fps").GetInt32());
        var device = session.GetProperty("deviceInfo");
        Assert.Equal(2560, device.GetProperty("client").GetProperty("screen").GetProperty("width").GetInt32());
        var server = device.GetProperty("server");
        Assert.Equal("Chrome", server.GetProperty("browser").GetString());
        Assert.Equal("124", server.GetProperty("browserVersion").GetString());
        Assert.Equal("Windows", server.GetProperty("os").GetString());
        Assert.Equal("desktop", server.GetProperty("deviceType").GetString());
        Assert.Equal(SessionApi.ChromeOnWindows, server.GetProperty("userAgent").GetString());

        var read = await (await user.GetAsync(id)).AssertOkAsync();
        Assert.Equal(session.GetRawText(), read.GetRawText());
    }

    [Fact]
    public async Task Without_a_user_agent_or_client_objects_the_session_still_starts()
    {
        var user = await api.SignInNewUserAsync();

        var session = await (await user.PostStartAsync(new { recordingType = "audio" })).AssertOkAsync(HttpStatusCode.Created);

        Assert.Equal("{}", session.GetProperty("settings").GetRawText());
        Assert.Equal("{}", session.GetProperty("deviceInfo").GetProperty("client").GetRawText());
        Assert.Equal(JsonValueKind.Null, session.GetProperty("deviceInfo").GetProperty("server").GetProperty("browser").ValueKind);
    }

    [Fact]
    public async Task A_long_user_agent_is_stored_bounded()
    {
        var user = await api.SignInNewUserAsync();

        var session = await (await user.PostStartAsync(new { recordingType = "camera" }, SessionApi.FirefoxOnAndroid + " " + new string('x', 2000))).AssertOkAsync(HttpStatusCode.Created);

        var server = session.GetProperty("deviceInfo").GetProperty("server");
        Assert.Equal(512, server.GetProperty("userAgent").GetString()!.Length);
        Assert.Equal(("Firefox", "Android", "mobile"), (server.GetProperty("browser").GetString(), server.GetProperty("os").GetString(), server.GetProperty("deviceType").GetString()));
    }

    [Theory]
    [InlineData("{}", "recordingType")]
    [InlineData("{\"recordingType\": \"hologram\"}", "recordingType")]
    [InlineData("{\"recordingType\": 3}", "recordingType")]
    [InlineData("{\"recordingType\": \"camera\", \"settings\": [1, 2]}", "settings")]
    [InlineData("{\"recordingType\": \"camera\", \"settings\": \"hd\"}", "settings")]
    [InlineData("{\"recordingType\": \"camera\", \"deviceInfo\": {\"name\": \"a\\u0000b\"}}", "deviceInfo.name")]
    [InlineData("{\"recordingType\": \"camera\", \"deviceInfo\": {\"a\\u0000\": 1}}", "deviceInfo")]
    [InlineData("{\"recordingType\": \"camera\", \"settings\": {\"name\": \"\\ud800\"}}", "settings.name")]
    [InlineData("{\"recordingType\": \"camera\", \"settings\": {\"nested\": [{\"big\": 1e400}]}}", "settings")]
    [InlineData("{\"recordingType\": \"camera\", \"settings\": {\"tiny\": 1e-20000}}", "settings")]
    [InlineData("{\"recordingType\": \"camera\", \"startedAt\": \"2020-01-01T00:00:00Z\"}", "startedAt")]
    [InlineData("{\"recordingType\": \"camera\", \"status\": \"completed\"}", "status")]
    public async Task Refuses_an_invalid_start_and_writes_nothing(string body, string field)
    {
        var user = await api.SignInNewUserAsync();

        var problem = await (await user.PostStartAsync(body)).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        Assert.Empty(await user.ListAsync());
    }

    [Fact]
    public async Task Refuses_settings_over_the_size_limit()
    {
        var user = await api.SignInNewUserAsync();

        var problem = await (await user.PostStartAsync(new { recordingType = "camera", settings = new { blob = new string('a', 16 * 1024) } })).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.Contains("16384 bytes", problem.GetProperty("errors").GetProperty("settings")[0].GetString());
        await (await user.PostStartAsync(new { recordingType = "camera", settings = new { blob = new string('a', 70 * 1024) } })).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task A_heartbeat_moves_last_heartbeat_at_to_now()
    {
        var user = await api.SignInNewUserAsync();
        var id = await user.StartAsync();
        await using (var connection = await api.OpenMaintenanceAsync())
        {
            await connection.ExecuteAsync("UPDATE recording_sessions SET last_heartbeat_at = last_heartbeat_at - interval '1 minute' WHERE id = @id", new { id });
        }
        var before = await DatabaseNowAsync();

        await (await user.HeartbeatAsync(id)).AssertOkAsync(HttpStatusCode.NoContent);

        var state = await api.StateAsync(id);
        Assert.Equal("active", state.Status);
        Assert.InRange(state.LastHeartbeatAt, before, await DatabaseNowAsync());
    }

    public static TheoryData<string, string, HttpStatusCode> EveryTransition => new()
    {
        { "active", "heartbeat", HttpStatusCode.NoContent },
        { "active", "complete", HttpStatusCode.OK },
        { "active", "interrupt", HttpStatusCode.OK },
        { "completed", "heartbeat", HttpStatusCode.Conflict },
        { "completed", "complete", HttpStatusCode.Conflict },
        { "completed", "interrupt", HttpStatusCode.Conflict },
        { "interrupted", "heartbeat", HttpStatusCode.Conflict },
        { "interrupted", "complete", HttpStatusCode.Conflict },
        { "interrupted", "interrupt", HttpStatusCode.Conflict },
    };

    /// <summary>Each command from each state, with a body other than the one that ended the session.</summary>
    [Theory]
    [MemberData(nameof(EveryTransition))]
    public async Task Only_an_active_session_moves(string from, string command, HttpStatusCode expected)
    {
        var user = await api.SignInNewUserAsync();
        var id = await StartInAsync(user, from);
        var before = await api.StateAsync(id);

        var response = command switch
        {
            "heartbeat" => await user.HeartbeatAsync(id),
            "complete" => await user.CompleteAsync(id, new { duration = 20.5 }),
            _ => await user.InterruptAsync(id, new { errorMessage = "The tab was closed." }),
        };

        var after = await api.StateAsync(id);
        if (expected == HttpStatusCode.Conflict)
        {
            var problem = await response.AssertProblemAsync(HttpStatusCode.Conflict);
            Assert.Equal(from, problem.GetProperty("sessionStatus").GetString());
            Assert.Equal(before, after);
            return;
        }
        await response.AssertOkAsync(expected);
        var to = command switch { "complete" => "completed", "interrupt" => "interrupted", _ => "active" };
        Assert.Equal(to, after.Status);
        if (to == "active")
        {
            Assert.Null(after.EndedAt);
        }
        else
        {
            Assert.InRange(after.EndedAt!.Value, after.StartedAt, await DatabaseNowAsync());
        }
    }

    [Fact]
    public async Task Completing_records_duration_end_and_the_callers_recording()
    {
        var user = await api.SignInNewUserAsync();
        var id = await user.StartAsync();
        var recordingId = await user.CreateRecordingAsync();

        var session = await (await user.CompleteAsync(id, new { recordingId, duration = 12.3456 })).AssertOkAsync();

        Assert.Equal("completed", session.GetProperty("status").GetString());
        Assert.Equal(12.346m, session.GetProperty("duration").GetDecimal());
        Assert.Equal(recordingId, session.GetProperty("recordingId").GetInt64());
        Assert.True(session.GetProperty("endedAt").GetDateTime() >= session.GetProperty("startedAt").GetDateTime());
    }

    [Fact]
    public async Task A_repeated_completion_with_the_same_body_answers_the_session_unchanged()
    {
        var user = await api.SignInNewUserAsync();
        var id = await user.StartAsync();
        var recordingId = await user.CreateRecordingAsync();
        var first = await (await user.CompleteAsync(id, new { recordingId, duration = 12.3456 })).AssertOkAsync();

        var again = await (await user.CompleteAsync(id, new { recordingId, duration = 12.3456 })).AssertOkAsync();
        // Leaving the recording out asks for nothing the session does not already have.
        var withoutRecording = await (await user.CompleteAsync(id, new { duration = 12.346 })).AssertOkAsync();

        Assert.Equal(first.GetRawText(), again.GetRawText());
        Assert.Equal(first.GetRawText(), withoutRecording.GetRawText());
    }

    [Theory]
    [InlineData("{\"duration\": 13}")]
    [InlineData("{\"duration\": 12.5, \"recordingId\": 999999}")]
    public async Task A_completion_conflicting_with_the_first_is_409_with_the_status(string body)
    {
        var user = await api.SignInNewUserAsync();
        var id = await user.StartAsync();
        await (await user.CompleteAsync(id, new { duration = 12.5 })).AssertOkAsync();
        var before = await api.StateAsync(id);

        var problem = await (await user.CompleteAsync(id, body)).AssertProblemAsync(HttpStatusCode.Conflict);

        Assert.Equal("completed", problem.GetProperty("sessionStatus").GetString());
        Assert.Equal(before, await api.StateAsync(id));
    }

    [Fact]
    public async Task A_repeated_interruption_with_the_same_body_answers_the_session_unchanged_and_another_is_409()
    {
        var user = await api.SignInNewUserAsync();
        var id = await user.StartAsync();
        var first = await (await user.InterruptAsync(id, InterruptBody)).AssertOkAsync();
        Assert.Equal(("interrupted", "The camera was unplugged.", "device_lost"), (first.GetProperty("status").GetString(), first.GetProperty("errorMessage").GetString(), first.GetProperty("errorCode").GetString()));

        var again = await (await user.InterruptAsync(id, InterruptBody)).AssertOkAsync();
        Assert.Equal(first.GetRawText(), again.GetRawText());

        var other = await (await user.InterruptAsync(id, new { errorMessage = "The camera was unplugged.", errorCode = "other" })).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("device_lost", other.GetProperty("errorCode").GetString());
        var completeAfter = await (await user.CompleteAsync(id, CompleteBody)).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("interrupted", completeAfter.GetProperty("sessionStatus").GetString());
    }

    [Fact]
    public async Task Another_users_recording_is_a_field_error_and_the_session_stays_active()
    {
        var user = await api.SignInNewUserAsync();
        var stranger = await api.SignInNewUserAsync();
        var id = await user.StartAsync();
        var strangersRecording = await stranger.CreateRecordingAsync();

        var problem = await (await user.CompleteAsync(id, new { recordingId = strangersRecording, duration = 5 })).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("recordingId", out _));
        Assert.Equal("active", (await api.StateAsync(id)).Status);
        await (await user.CompleteAsync(id, new { recordingId = 987654321, duration = 5 })).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_recording_belongs_to_one_session_only()
    {
        var user = await api.SignInNewUserAsync();
        var first = await user.StartAsync();
        var second = await user.StartAsync();
        var recordingId = await user.CreateRecordingAsync();
        await (await user.CompleteAsync(first, new { recordingId, duration = 5 })).AssertOkAsync();

        var problem = await (await user.CompleteAsync(second, new { recordingId, duration = 5 })).AssertProblemAsync(HttpStatusCode.Conflict);

        Assert.Contains($"session {first}", problem.GetProperty("detail").GetString());
        Assert.Equal("active", (await api.StateAsync(second)).Status);
    }

    [Fact]
    public async Task A_session_its_upload_already_named_completes_with_that_recording_and_no_other()
    {
        var user = await api.SignInNewUserAsync();
        var named = await user.StartAsync();
        var keptLink = await user.StartAsync();
        var recordingId = await user.CreateRecordingAsync(sessionId: named);
        var otherRecording = await user.CreateRecordingAsync(sessionId: keptLink);

        var completed = await (await user.CompleteAsync(named, new { recordingId, duration = 7 })).AssertOkAsync();
        Assert.Equal(recordingId, completed.GetProperty("recordingId").GetInt64());

        var conflict = await (await user.CompleteAsync(keptLink, new { recordingId = await user.CreateRecordingAsync(), duration = 7 })).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(otherRecording, conflict.GetProperty("recordingId").GetInt64());
        var kept = await (await user.CompleteAsync(keptLink, new { duration = 7 })).AssertOkAsync();
        Assert.Equal(otherRecording, kept.GetProperty("recordingId").GetInt64());
    }

    [Fact]
    public async Task A_session_the_sweep_interrupted_refuses_completion_saying_why()
    {
        var user = await api.SignInNewUserAsync();
        var id = await user.StartAsync();
        await using (var connection = await api.OpenMaintenanceAsync())
        {
            await connection.ExecuteAsync("UPDATE recording_sessions SET last_heartbeat_at = now() - interval '10 minutes' WHERE id = @id", new { id });
        }
        await using (var dataSources = api.Database.CreateDataSources())
        {
            await new StaleSessionSweeper(dataSources, Options.Create(new SessionOptions()), NullLogger<StaleSessionSweeper>.Instance).SweepAsync(CancellationToken.None);
        }

        var problem = await (await user.CompleteAsync(id, CompleteBody)).AssertProblemAsync(HttpStatusCode.Conflict);

        Assert.Equal("interrupted", problem.GetProperty("sessionStatus").GetString());
        Assert.Equal("heartbeat_timeout", problem.GetProperty("errorCode").GetString());
        await (await user.HeartbeatAsync(id)).AssertProblemAsync(HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData("{}", "duration")]
    [InlineData("{\"duration\": -0.5}", "duration")]
    [InlineData("{\"duration\": 86400.001}", "duration")]
    [InlineData("{\"duration\": \"12\"}", "duration")]
    [InlineData("{\"duration\": 1, \"recordingId\": 0}", "recordingId")]
    [InlineData("{\"duration\": 1, \"recordingId\": \"7\"}", "recordingId")]
    [InlineData("{\"duration\": 1, \"status\": \"completed\"}", "status")]
    public async Task Refuses_an_invalid_completion(string body, string field)
    {
        var user = await api.SignInNewUserAsync();
        var id = await user.StartAsync();

        var problem = await (await user.CompleteAsync(id, body)).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        Assert.Equal("active", (await api.StateAsync(id)).Status);
    }

    [Theory]
    [InlineData("{}", "errorMessage")]
    [InlineData("{\"errorMessage\": \"   \"}", "errorMessage")]
    [InlineData("{\"errorMessage\": \"x\", \"errorCode\": \"has spaces\"}", "errorCode")]
    [InlineData("{\"errorMessage\": \"x\", \"errorCode\": \"line\\n\"}", "errorCode")]
    [InlineData("{\"errorMessage\": \"x\", \"errorCode\": 5}", "errorCode")]
    [InlineData("{\"errorMessage\": \"a\\u0000b\"}", "errorMessage")]
    public async Task Refuses_an_invalid_interruption(string body, string field)
    {
        var user = await api.SignInNewUserAsync();
        var id = await user.StartAsync();

        var problem = await (await user.InterruptAsync(id, body)).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        Assert.Equal("active", (await api.StateAsync(id)).Status);
    }

    [Fact]
    public async Task Refuses_error_texts_over_their_bounds()
    {
        var user = await api.SignInNewUserAsync();
        var id = await user.StartAsync();

        await (await user.InterruptAsync(id, new { errorMessage = new string('m', 1001) })).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await user.InterruptAsync(id, new { errorMessage = "x", errorCode = new string('c', 101) })).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await user.InterruptAsync(id, new { errorMessage = new string('m', 1000), errorCode = new string('c', 100) })).AssertOkAsync();
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("abc")]
    [InlineData("99999999999999999999")]
    public async Task An_id_that_is_not_a_positive_integer_is_400_on_the_state_routes(string id)
    {
        var user = await api.SignInNewUserAsync();

        await (await user.HeartbeatAsync(id)).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await user.CompleteAsync(id, CompleteBody)).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await user.InterruptAsync(id, InterruptBody)).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Reading_takes_digits_only_so_stats_is_never_an_id()
    {
        var user = await api.SignInNewUserAsync();

        await (await user.GetAsync("0")).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.NotFound, (await user.GetAsync("abc")).StatusCode);
        await (await user.GetAsync("stats")).AssertOkAsync();
    }

    [Fact]
    public async Task Another_users_session_is_404_on_every_route_and_stays_unchanged()
    {
        var owner = await api.SignInNewUserAsync();
        var id = await owner.StartAsync();
        var stranger = await api.SignInNewUserAsync();
        var before = await api.StateAsync(id);

        await (await stranger.GetAsync(id)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.HeartbeatAsync(id)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.CompleteAsync(id, CompleteBody)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.InterruptAsync(id, InterruptBody)).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty(await stranger.ListAsync());
        var stats = await (await stranger.Client.GetAsync("api/recording-sessions/stats")).AssertOkAsync();
        Assert.Equal(0, stats.GetProperty("total").GetProperty("total").GetInt64());

        Assert.Equal(before, await api.StateAsync(id));
        await using var connection = await api.OpenMaintenanceAsync();
        Assert.Equal(4, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_log WHERE user_id = @strangerId AND outcome = 'not_found' AND (details ->> 'sessionId')::bigint = @id",
            new { strangerId = stranger.Id, id }));
    }

    private async Task<long> StartInAsync(TestUser user, string status)
    {
        var id = await user.StartAsync();
        switch (status)
        {
            case "completed":
                await (await user.CompleteAsync(id, CompleteBody)).AssertOkAsync();
                break;
            case "interrupted":
                await (await user.InterruptAsync(id, InterruptBody)).AssertOkAsync();
                break;
        }
        return id;
    }

    private async Task<DateTime> DatabaseNowAsync()
    {
        await using var connection = await api.OpenOwnerAsync();
        return await connection.ExecuteScalarAsync<DateTime>("SELECT clock_timestamp()");
    }
}
