using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Dapper;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Recorder.Core.Edits;
using Recorder.Core.Links;
using Recorder.Core.Recordings;
using Recorder.Core.Sessions;
using Recorder.DevHost;
using Recorder.Functions.Http;
using Recorder.Functions.Tests.DevHost;
using Recorder.Functions.Tests.Ingest;
using Recorder.Testing.EventGrid;

namespace Recorder.Functions.Tests.Api;

/// <summary>
/// The app's own [HttpTrigger] methods, found as the dev host finds them, and valid requests of each, for tests that
/// hold a property over every route: a new route without a case here fails them.
/// </summary>
internal static class HttpFunctionRequests
{
    public static readonly IReadOnlyDictionary<string, HttpFunction> Functions = FunctionCatalog.Create(
            typeof(Health).Assembly.GetTypes(),
            new ConfigurationBuilder().AddInMemoryCollection(RunningDevHost.BaselineSettings()).Build(),
            routePrefix: "api")
        .Http.ToDictionary(function => function.Name);

    /// <summary>
    /// Valid requests of each function, carrying every string the function reads; route values are filled into the
    /// function's own route. A function that reads no text has none: it is called with an empty <see cref="Request"/>.
    /// </summary>
    public static readonly Dictionary<string, Func<Subject, Request[]>> Cases = new()
    {
        ["BlobCreatedWebhook"] = s => [new(s.BlobCreatedDelivery)],
        ["CompleteRecordingSession"] = s => [new("""{"duration": 12.5}""") { Route = { ["id"] = s.Session } }],
        ["CreateRecordingAiTask"] = s => [new("""{"taskType": "transcription"}""") { Route = { ["id"] = s.Recording } }],
        ["CreateRecordingContent"] = s =>
        [
            new("""{"platform": "youtube", "contentType": "video", "title": "Standup", "description": "Monday", "tags": ["team", "daily"]}""")
            {
                Route = { ["id"] = s.Recording },
            },
        ],
        ["CreateRecordingEdit"] = s =>
        [
            new("""{"editType": "filter", "parameters": {"name": "sepia"}, "baseVersion": 0}""") { Route = { ["id"] = s.Recording } },
            new("""{"editType": "text_overlay", "parameters": {"text": "Hello", "x": 0.1, "y": 0.1, "fontSize": 24, "color": "#FFFFFF", "start": 1, "end": 2}, "baseVersion": 0}""")
            {
                Route = { ["id"] = s.Recording },
            },
        ],
        ["CreateRecordingSession"] = _ =>
            [new("""{"recordingType": "camera", "settings": {"resolution": "720p", "codecs": ["vp9"]}, "deviceInfo": {"camera": "FaceTime HD"}}""")],
        ["CreateRecordingSocialPost"] = s =>
            [new("""{"title": "Standup", "caption": "Monday", "hashtags": ["team", "daily"], "contentType": "post"}""") { Route = { ["id"] = s.Recording } }],
        ["CreateUpload"] = s =>
        [
            new($$$"""
                {"title": "Team standup", "description": "Monday", "recordingType": "camera", "mimeType": "video/webm;codecs=vp9,opus",
                 "fileSize": 1024, "projectId": {{{s.Project}}}, "quality": "high", "metadata": {"device": "FaceTime HD", "labels": ["a", {"b": "c"}]}}
                """),
            new("""
                {"title": "Live", "recordingType": "audio", "mimeType": "audio/webm;codecs=opus", "live": true, "expectedSize": 1024}
                """),
        ],
        ["DeleteRecording"] = s => [new() { Route = { ["id"] = s.Recording } }],
        ["EraseRecordingsData"] = _ => [],
        ["GetErasure"] = _ => [new() { Route = { ["id"] = "1" } }],
        ["GetExport"] = _ => [new() { Route = { ["id"] = "1" } }],
        ["GetRecording"] = s => [new() { Route = { ["id"] = s.Recording } }],
        ["GetRecordingSession"] = s => [new() { Route = { ["id"] = s.Session } }],
        ["GetRecordingSessionStats"] = _ => [new() { Query = { ["from"] = "2026-01-01", ["to"] = "2026-01-02T08:00:00Z" } }],
        ["GetStorageUsage"] = _ => [],
        ["GetUpload"] = s => [new() { Route = { ["id"] = s.Uploading } }],
        ["Health"] = _ => [],
        ["HeartbeatRecordingSession"] = s =>
        [
            new() { Route = { ["id"] = s.Session } },
            new("""{"stagedBytes": 1000, "stagedSeconds": 1.5}""") { Route = { ["id"] = s.Session } },
        ],
        ["InterruptRecordingSession"] = s => [new("""{"errorMessage": "Camera lost", "errorCode": "camera.lost"}""") { Route = { ["id"] = s.Session } }],
        ["ListProjectRecordings"] = s =>
        [
            new()
            {
                Route = { ["projectId"] = s.Project },
                Query = { ["limit"] = "5", ["cursor"] = RecordingCursor, ["type"] = "camera", ["status"] = "completed", ["q"] = "stand" },
            },
        ],
        ["ListRecordingAiTasks"] = s =>
            [new() { Route = { ["id"] = s.Recording }, Query = { ["limit"] = "5", ["cursor"] = AiTaskListQuery.EncodeCursor(int.MaxValue) } }],
        ["ListRecordingEdits"] = s => [new() { Route = { ["id"] = s.Recording }, Query = { ["limit"] = "5", ["cursor"] = EditListQuery.EncodeCursor(1) } }],
        ["ListRecordingSessions"] = _ =>
        [
            new()
            {
                Query =
                {
                    ["limit"] = "5", ["cursor"] = new SessionCursor(DateTime.UtcNow.AddDays(1), long.MaxValue).Encode(), ["status"] = "active",
                    ["type"] = "camera", ["from"] = "2026-01-01", ["to"] = "2099-01-01",
                },
            },
        ],
        ["ListRecordings"] = s =>
        [
            new() { Query = { ["limit"] = "5", ["cursor"] = RecordingCursor, ["type"] = "camera", ["projectId"] = s.Project, ["status"] = "completed", ["q"] = "stand" } },
        ],
        ["RedoRecordingEdit"] = s => [new("""{"baseVersion": 0}""") { Route = { ["id"] = s.Recording } }],
        ["RenewUploadUrl"] = s => [new() { Route = { ["id"] = s.Uploading } }],
        ["RequestExport"] = _ => [],
        ["SchemaStatus"] = _ => [],
        ["UndoRecordingEdit"] = s => [new("""{"baseVersion": 0}""") { Route = { ["id"] = s.Recording } }],
        ["UpdateRecording"] = s => [new("""{"title": "Final cut", "description": "Monday", "quality": "medium"}""") { Route = { ["id"] = s.Recording } }],
    };

    private static string RecordingCursor => new RecordingCursor(DateTime.UtcNow.AddDays(1), long.MaxValue).Encode();

    /// <summary>The first valid request of <paramref name="function"/>, or an empty one for a function that reads no text.</summary>
    public static Request First(string function, Subject subject) => Cases[function](subject).FirstOrDefault() ?? new Request();

    /// <summary>
    /// Sends <paramref name="request"/> to <paramref name="function"/> as <paramref name="user"/>, with the function key when the
    /// function needs one, to <paramref name="host"/> (another host over the same database) or else the user's own host.
    /// </summary>
    public static async Task<HttpResponseMessage> SendAsync(TestUser user, HttpFunction function, Request request, Uri? host = null)
    {
        var path = Regex.Replace(function.Route, @"\{(\w+)(:[^}]*)?\}", match => request.Route[match.Groups[1].Value]);
        var query = string.Join('&', request.Query.Select(pair => $"{pair.Key}={pair.Value}"));
        var target = query.Length == 0 ? path : $"{path}?{query}";
        var message = new HttpRequestMessage(new HttpMethod(function.HttpMethods[0]), host is null ? new Uri(target, UriKind.Relative) : new Uri(host, target));
        if (request.Body is not null)
        {
            message.Content = Api.Json(request.Body);
        }
        if (function.AuthLevel != AuthorizationLevel.Anonymous)
        {
            message.Headers.Add("x-functions-key", RunningDevHost.FunctionKey);
        }
        return await user.Client.SendAsync(message);
    }

    /// <summary>A user with one of everything a route names, and a BlobCreated delivery for an upload of theirs.</summary>
    public static async Task<Subject> SubjectAsync(IngestTestHost host)
    {
        var user = await host.Api.SignInNewUserAsync();
        int project;
        await using (var owner = await host.OpenOwnerAsync())
        {
            project = await owner.ExecuteScalarAsync<int>(
                "INSERT INTO projects (user_id, name, type) VALUES (@Id, 'Course', 'video') RETURNING id", new { user.Id });
        }
        await using var connection = await host.OpenMaintenanceAsync();
        var recording = await host.UploadAsync(user, [1, 2, 3], "camera", "video/webm");
        await connection.ExecuteAsync(
            """
            UPDATE recordings SET status = 'completed', completed_at = now(), duration = 12.5,
              metadata = metadata || '{"media": {"hasVideo": true, "hasAudio": true, "width": 1280, "height": 720}}'
            WHERE id = @recording
            """, new { recording });
        var uploading = await host.UploadAsync(user, [4, 5, 6], "camera", "video/webm");
        var session = (await (await user.Client.PostAsync("api/recording-sessions", Api.Json("""{"recordingType": "camera"}"""))).AssertOkAsync(HttpStatusCode.Created))
            .GetProperty("id").GetInt64();

        var blobName = await connection.ExecuteScalarAsync<string>("SELECT blob_name FROM recordings WHERE id = @uploading", new { uploading });
        var blob = new BlobClient(Recorder.Testing.TestEnvironment.StorageConnectionString, host.Api.Storage.UploadsContainer, blobName);
        var delivery = JsonSerializer.Serialize(new[] { BlobCreatedEvents.Create(IngestTestHost.Topic, blob, (await blob.GetPropertiesAsync()).Value, BlobCreatedEvents.Sequencer(1)) });
        return new Subject(user, project.ToString(), recording.ToString(), uploading.ToString(), session.ToString(), delivery);
    }

    /// <summary>Every row of the user's that a request could write (the audit log aside), as text to compare.</summary>
    public static async Task<string> WrittenAsync(IngestTestHost host, string userId)
    {
        // recorder_maintenance reads the recorder tables under row-level security and the main app's it links to.
        await using var connection = await host.OpenMaintenanceAsync();
        return await connection.ExecuteScalarAsync<string>(
            """
            SELECT string_agg(row, E'\n' ORDER BY row) FROM (
              SELECT 'recordings ' || to_jsonb(t)::text AS row FROM recordings t WHERE user_id = @userId
              UNION ALL SELECT 'recording_sessions ' || to_jsonb(t)::text FROM recording_sessions t WHERE user_id = @userId
              UNION ALL SELECT 'recording_edits ' || to_jsonb(t)::text FROM recording_edits t WHERE user_id = @userId
              UNION ALL SELECT 'content ' || to_jsonb(t)::text FROM content t WHERE user_id = @userId
              UNION ALL SELECT 'social_posts ' || to_jsonb(t)::text FROM social_posts t WHERE user_id = @userId
              UNION ALL SELECT 'ai_generation_tasks ' || to_jsonb(t)::text FROM ai_generation_tasks t WHERE user_id = @userId
              UNION ALL SELECT 'privacy_exports ' || to_jsonb(t)::text FROM privacy_exports t WHERE user_id = @userId
            ) written
            """, new { userId }) ?? "";
    }
}

internal sealed record Subject(TestUser User, string Project, string Recording, string Uploading, string Session, string BlobCreatedDelivery);

/// <param name="Body">JSON text, so a test can put in it what a serializer would refuse to write.</param>
internal sealed record Request(string? Body = null)
{
    public Dictionary<string, string> Route { get; init; } = [];

    /// <summary>Values as they go into the URL (these are URL-safe as written).</summary>
    public Dictionary<string, string> Query { get; init; } = [];
}
