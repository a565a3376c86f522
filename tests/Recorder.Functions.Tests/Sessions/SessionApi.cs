using System.Net;
using System.Text.Json;
using Dapper;
using Recorder.Functions.Tests.Api;

namespace Recorder.Functions.Tests.Sessions;

/// <summary>Calls of the recording sessions API the tests share.</summary>
internal static class SessionApi
{
    public const string ChromeOnWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    public const string FirefoxOnAndroid = "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0";
    public const string SafariOnIPad = "Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1";

    public static Task<HttpResponseMessage> PostStartAsync(this TestUser user, object body, string? userAgent = null)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, "api/recording-sessions") { Content = body is string json ? Api.Api.Json(json) : Api.Api.Json(body) };
        if (userAgent is not null)
        {
            message.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        }
        return user.Client.SendAsync(message);
    }

    /// <summary>Starts a session and returns its id.</summary>
    public static async Task<long> StartAsync(this TestUser user, string recordingType = "camera", string? userAgent = null)
        => (await (await user.PostStartAsync(new { recordingType }, userAgent)).AssertOkAsync(HttpStatusCode.Created)).GetProperty("id").GetInt64();

    public static Task<HttpResponseMessage> HeartbeatAsync(this TestUser user, object id)
        => user.Client.PostAsync($"api/recording-sessions/{id}/heartbeat", null);

    public static Task<HttpResponseMessage> CompleteAsync(this TestUser user, object id, object body)
        => user.Client.PostAsync($"api/recording-sessions/{id}/complete", body is string json ? Api.Api.Json(json) : Api.Api.Json(body));

    public static Task<HttpResponseMessage> InterruptAsync(this TestUser user, object id, object body)
        => user.Client.PostAsync($"api/recording-sessions/{id}/interrupt", body is string json ? Api.Api.Json(json) : Api.Api.Json(body));

    public static Task<HttpResponseMessage> GetAsync(this TestUser user, object id)
        => user.Client.GetAsync($"api/recording-sessions/{id}");

    public static async Task<List<JsonElement>> ListAsync(this TestUser user, string query = "")
        => (await (await user.Client.GetAsync("api/recording-sessions?" + query)).AssertOkAsync()).GetProperty("items").EnumerateArray().ToList();

    /// <summary>A recording of the user's, through the uploads API; optionally naming a session, as the page does.</summary>
    public static async Task<long> CreateRecordingAsync(this TestUser user, long? sessionId = null)
        => (await (await user.Client.PostAsync("api/recordings/uploads", Api.Api.Json(Api.Api.UploadRequest(body =>
        {
            if (sessionId is not null)
            {
                body["sessionId"] = sessionId;
            }
        })))).AssertOkAsync(HttpStatusCode.Created)).GetProperty("recordingId").GetInt64();

    /// <summary>The row as the database holds it, read as recorder_maintenance (every user's rows).</summary>
    public static async Task<SessionState> StateAsync(this ApiTestHost api, long id)
    {
        await using var connection = await api.OpenMaintenanceAsync();
        return await connection.QuerySingleAsync<SessionState>(
            """
            SELECT status AS Status, started_at AS StartedAt, ended_at AS EndedAt, last_heartbeat_at AS LastHeartbeatAt, duration AS Duration,
                   recording_id AS RecordingId, error_message AS ErrorMessage, error_code AS ErrorCode
            FROM recording_sessions WHERE id = @id
            """,
            new { id });
    }
}

internal sealed record SessionState(string Status, DateTime StartedAt, DateTime? EndedAt, DateTime LastHeartbeatAt, decimal? Duration, long? RecordingId, string? ErrorMessage, string? ErrorCode);
