using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Recorder.Functions.Tests.Api;
using Xunit;

namespace Recorder.Functions.Tests.Sessions;

/// <summary>Lists, statistics, scopes and the audit trail of the recording sessions API.</summary>
public sealed class SessionListAndStatsTests(ApiTestHost api) : IClassFixture<ApiTestHost>
{
    [Fact]
    public async Task Lists_newest_first_in_keyset_pages_with_filters()
    {
        var user = await api.SignInNewUserAsync();
        var now = DateTime.UtcNow;
        // Two sessions share a start: the id breaks the tie, and no page boundary may skip or repeat one.
        var layout = new[] { ("camera", -50), ("audio", -40), ("camera", -30), ("screen", -30), ("audio", -10) };
        var ids = new List<long>();
        foreach (var (type, minutes) in layout)
        {
            var id = await user.StartAsync(type);
            await SetStartAsync(id, now.AddMinutes(minutes));
            ids.Add(id);
        }
        await (await user.CompleteAsync(ids[1], new { duration = 3 })).AssertOkAsync();
        var newestFirst = new List<long> { ids[4], ids[3], ids[2], ids[1], ids[0] };

        var seen = new List<long>();
        string? cursor = null;
        do
        {
            var page = await (await user.Client.GetAsync("api/recording-sessions?limit=2" + (cursor is null ? "" : "&cursor=" + cursor))).AssertOkAsync();
            var items = page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetInt64()).ToList();
            Assert.InRange(items.Count, 1, 2);
            seen.AddRange(items);
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.Equal(newestFirst, seen);

        Assert.Equal([ids[4], ids[1]], Ids(await user.ListAsync("type=audio")));
        Assert.Equal([ids[1]], Ids(await user.ListAsync("status=completed")));
        Assert.Equal([ids[4], ids[3], ids[2], ids[0]], Ids(await user.ListAsync("status=active")));
        var from = Uri.EscapeDataString(now.AddMinutes(-40).ToString("O"));
        var to = Uri.EscapeDataString(now.AddMinutes(-10).ToString("O"));
        // from is inclusive, to exclusive.
        Assert.Equal([ids[3], ids[2], ids[1]], Ids(await user.ListAsync($"from={from}&to={to}")));
        Assert.Equal([ids[2]], Ids(await user.ListAsync($"from={from}&to={to}&type=camera&status=active")));
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("limit=ten")]
    [InlineData("cursor=not-a-cursor")]
    [InlineData("status=paused")]
    [InlineData("type=hologram")]
    [InlineData("from=yesterday")]
    [InlineData("from=2026-03-01T10:00:00 02:00")]
    [InlineData("from=2026-03-02&to=2026-03-01")]
    [InlineData("limit=1&limit=2")]
    [InlineData("sort=status")]
    public async Task Rejects_bad_list_parameters_with_400(string query)
    {
        var user = await api.SignInNewUserAsync();

        await (await user.Client.GetAsync("api/recording-sessions?" + query)).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Counts_by_status_type_and_browser_with_failure_rates()
    {
        var user = await api.SignInNewUserAsync();
        var completed = new { duration = 5 };
        var failed = new { errorMessage = "Permission denied" };
        await (await user.CompleteAsync(await user.StartAsync("camera", SessionApi.ChromeOnWindows), completed)).AssertOkAsync();
        await (await user.InterruptAsync(await user.StartAsync("camera", SessionApi.ChromeOnWindows), failed)).AssertOkAsync();
        await (await user.CompleteAsync(await user.StartAsync("camera", SessionApi.FirefoxOnAndroid), completed)).AssertOkAsync();
        await (await user.InterruptAsync(await user.StartAsync("audio", SessionApi.FirefoxOnAndroid), failed)).AssertOkAsync();
        await user.StartAsync("audio");
        var old = await user.StartAsync("screen", SessionApi.SafariOnIPad);
        await (await user.CompleteAsync(old, completed)).AssertOkAsync();
        await SetStartAsync(old, DateTime.UtcNow.AddDays(-10));
        var stranger = await api.SignInNewUserAsync();
        await (await stranger.InterruptAsync(await stranger.StartAsync("camera", SessionApi.ChromeOnWindows), failed)).AssertOkAsync();

        var stats = await (await user.Client.GetAsync("api/recording-sessions/stats")).AssertOkAsync();

        AssertCounts(stats.GetProperty("total"), total: 5, active: 1, completed: 2, interrupted: 2, failureRate: 0.5);
        var byType = stats.GetProperty("byRecordingType");
        Assert.Equal(["audio", "camera"], byType.EnumerateObject().Select(p => p.Name).Order());
        AssertCounts(byType.GetProperty("camera"), total: 3, active: 0, completed: 2, interrupted: 1, failureRate: 0.3333);
        AssertCounts(byType.GetProperty("audio"), total: 2, active: 1, completed: 0, interrupted: 1, failureRate: 1);
        var byBrowser = stats.GetProperty("byBrowser");
        Assert.Equal(["Chrome", "Firefox", "unknown"], byBrowser.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        AssertCounts(byBrowser.GetProperty("Chrome"), total: 2, active: 0, completed: 1, interrupted: 1, failureRate: 0.5);
        AssertCounts(byBrowser.GetProperty("unknown"), total: 1, active: 1, completed: 0, interrupted: 0, failureRate: null);
        Assert.InRange((stats.GetProperty("to").GetDateTimeOffset() - stats.GetProperty("from").GetDateTimeOffset()).TotalDays, 6.99, 7.01);

        var from = Uri.EscapeDataString(DateTime.UtcNow.AddDays(-11).ToString("O"));
        var wider = await (await user.Client.GetAsync($"api/recording-sessions/stats?from={from}")).AssertOkAsync();
        AssertCounts(wider.GetProperty("total"), total: 6, active: 1, completed: 3, interrupted: 2, failureRate: 0.4);
        AssertCounts(wider.GetProperty("byBrowser").GetProperty("Safari"), total: 1, active: 0, completed: 1, interrupted: 0, failureRate: 0);
    }

    [Fact]
    public async Task Stats_of_a_window_without_sessions_are_zero()
    {
        var user = await api.SignInNewUserAsync();

        var stats = await (await user.Client.GetAsync("api/recording-sessions/stats?from=2020-01-01&to=2020-02-01")).AssertOkAsync();

        AssertCounts(stats.GetProperty("total"), total: 0, active: 0, completed: 0, interrupted: 0, failureRate: null);
        Assert.Empty(stats.GetProperty("byRecordingType").EnumerateObject());
        Assert.Empty(stats.GetProperty("byBrowser").EnumerateObject());
    }

    [Theory]
    [InlineData("from=2020-01-01&to=2021-06-01")]
    [InlineData("from=2026-03-02&to=2026-03-01")]
    [InlineData("from=2026-03-01&to=2026-03-01")]
    [InlineData("from=last-week")]
    [InlineData("type=camera")]
    public async Task Rejects_bad_stats_windows_with_400(string query)
    {
        var user = await api.SignInNewUserAsync();

        await (await user.Client.GetAsync("api/recording-sessions/stats?" + query)).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Reads_need_the_read_scope_and_writes_the_write_scope()
    {
        var user = await api.SignInNewUserAsync();
        var id = await user.StartAsync();
        using var reader = api.BearerClient(Token(user.Id, "recordings:read"));
        using var writer = api.BearerClient(Token(user.Id, "recordings:write"));

        await (await reader.GetAsync($"api/recording-sessions/{id}")).AssertOkAsync();
        await (await reader.GetAsync("api/recording-sessions")).AssertOkAsync();
        await (await reader.GetAsync("api/recording-sessions/stats")).AssertOkAsync();
        await (await reader.PostAsync("api/recording-sessions", Api.Api.Json(new { recordingType = "camera" }))).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await reader.PostAsync($"api/recording-sessions/{id}/heartbeat", null)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await reader.PostAsync($"api/recording-sessions/{id}/complete", Api.Api.Json(new { duration = 1 }))).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await reader.PostAsync($"api/recording-sessions/{id}/interrupt", Api.Api.Json(new { errorMessage = "x" }))).AssertProblemAsync(HttpStatusCode.Forbidden);

        await (await writer.GetAsync($"api/recording-sessions/{id}")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await writer.PostAsync($"api/recording-sessions/{id}/heartbeat", null)).AssertOkAsync(HttpStatusCode.NoContent);
        await (await api.AnonymousClient().GetAsync("api/recording-sessions")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("active", (await api.StateAsync(id)).Status);
    }

    [Fact]
    public async Task Every_call_but_a_successful_heartbeat_leaves_one_audit_entry_naming_the_session()
    {
        var user = await api.SignInNewUserAsync();
        var id = await user.StartAsync();
        await (await user.GetAsync(id)).AssertOkAsync();
        await user.ListAsync();
        await (await user.HeartbeatAsync(id)).AssertOkAsync(HttpStatusCode.NoContent);
        var recordingId = await user.CreateRecordingAsync();
        await (await user.CompleteAsync(id, new { recordingId, duration = 4 })).AssertOkAsync();
        await (await user.CompleteAsync(id, new { recordingId, duration = 4 })).AssertOkAsync();
        await (await user.InterruptAsync(id, new { errorMessage = "late" })).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await user.HeartbeatAsync(id)).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await user.Client.GetAsync("api/recording-sessions/stats")).AssertOkAsync();

        await using var connection = await api.OpenMaintenanceAsync();
        var entries = (await connection.QueryAsync<(string Action, string Outcome, long? RecordingId, string Details)>(
            "SELECT action, outcome, recording_id, details::text FROM audit_log WHERE user_id = @Id AND action LIKE 'recording_session.%' ORDER BY id", new { user.Id })).ToList();
        Assert.Equal(
            [
                ("recording_session.create", "success"),
                ("recording_session.read", "success"),
                ("recording_session.list", "success"),
                ("recording_session.complete", "success"),
                ("recording_session.complete", "success"),
                ("recording_session.interrupt", "rejected"),
                ("recording_session.heartbeat", "rejected"),
                ("recording_session.stats", "success"),
            ],
            entries.Select(entry => (entry.Action, entry.Outcome)));
        foreach (var entry in entries.Where(entry => entry.Action is not ("recording_session.list" or "recording_session.stats")))
        {
            Assert.Equal(id, JsonDocument.Parse(entry.Details).RootElement.GetProperty("sessionId").GetInt64());
        }
        Assert.Equal(recordingId, entries[3].RecordingId);
        Assert.True(JsonDocument.Parse(entries[4].Details).RootElement.GetProperty("repeated").GetBoolean());
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_log WHERE user_id = @Id AND (actor_type <> 'user' OR actor_id <> @Id OR request_id IS NULL OR client_ip IS NULL)", new { user.Id }));
    }

    private static void AssertCounts(JsonElement counts, long total, long active, long completed, long interrupted, double? failureRate)
    {
        Assert.Equal(
            (total, active, completed, interrupted),
            (counts.GetProperty("total").GetInt64(), counts.GetProperty("active").GetInt64(), counts.GetProperty("completed").GetInt64(), counts.GetProperty("interrupted").GetInt64()));
        var rate = counts.GetProperty("failureRate");
        Assert.Equal(failureRate, rate.ValueKind == JsonValueKind.Null ? null : rate.GetDouble());
    }

    private static List<long> Ids(List<JsonElement> items) => items.Select(item => item.GetProperty("id").GetInt64()).ToList();

    /// <summary>Moves a session's start (and heartbeat) as if it had begun then; the row may change partition.</summary>
    private async Task SetStartAsync(long id, DateTime startedAt)
    {
        await using var connection = await api.OpenMaintenanceAsync();
        await connection.ExecuteAsync(
            "UPDATE recording_sessions SET started_at = @startedAt, last_heartbeat_at = @startedAt, ended_at = CASE WHEN ended_at IS NULL THEN NULL ELSE @startedAt END WHERE id = @id",
            new { id, startedAt });
    }

    private static string Token(string userId, string scope)
        => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", userId), new Claim("scope", scope)]),
            Issuer = ApiTestHost.JwtIssuer,
            Audience = ApiTestHost.JwtAudience,
            Expires = DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(ApiTestHost.JwtSecret)), SecurityAlgorithms.HmacSha256),
        });
}
