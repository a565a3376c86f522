using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Dapper;
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
using Xunit;

namespace Recorder.Functions.Tests.Api;

/// <summary>
/// Text PostgreSQL cannot store — U+0000, an unpaired UTF-16 surrogate — in any string a route reads (each string
/// of its JSON body, property names included; each query parameter; each route value) is a 400 naming the field,
/// never a 5xx, and writes nothing. The routes are the app's own [HttpTrigger] methods: a new route without a case
/// here fails <see cref="Every_http_function_has_a_case"/>.
/// </summary>
public sealed class UnstorableTextTests(WebhookTestHost host) : IClassFixture<WebhookTestHost>
{
    private static readonly BadText[] BadTexts =
    [
        // Kestrel refuses a path holding %00 with a bare 400 before any route runs.
        new("NUL", "\"a\\u0000b\"", "a%00b", InQuery: Outcome.BadRequestNamingField, InRoute: Outcome.ClientError),
        // A URL cannot carry a lone surrogate: its bytes (CESU-8) are not UTF-8, so the decoder leaves them percent-encoded
        // and the app reads the storable text "%ED%A0%80". A route value that is not an id is a 400, or a 404 where the
        // route's constraint refuses it.
        new("unpaired surrogate", "\"a\\uD800b\"", "a%ED%A0%80b", InQuery: Outcome.NotServerError, InRoute: Outcome.ClientError),
    ];

    /// <summary>
    /// A valid request of each function, whose strings the test spoils one at a time; route values are filled into
    /// the function's own route. A function that reads no text has no request.
    /// </summary>
    private static readonly Dictionary<string, Func<Subject, Request[]>> Cases = new()
    {
        ["BlobCreatedWebhook"] = s => [new(s.BlobCreatedDelivery, FunctionKey: true)],
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
        ],
        ["DeleteRecording"] = s => [new() { Route = { ["id"] = s.Recording } }],
        ["EraseRecordingsData"] = _ => [],
        ["GetErasure"] = _ => [new() { Route = { ["id"] = "1" } }],
        ["GetExport"] = _ => [new() { Route = { ["id"] = "1" } }],
        ["GetRecording"] = s => [new() { Route = { ["id"] = s.Recording } }],
        ["GetRecordingSession"] = s => [new() { Route = { ["id"] = s.Session } }],
        ["GetRecordingSessionStats"] = _ => [new() { Query = { ["from"] = "2026-01-01", ["to"] = "2026-01-02T08:00:00Z" } }],
        ["GetStorageUsage"] = _ => [],
        ["Health"] = _ => [],
        ["HeartbeatRecordingSession"] = s => [new() { Route = { ["id"] = s.Session } }],
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

    private static readonly IReadOnlyDictionary<string, HttpFunction> HttpFunctions = FunctionCatalog.Create(
            typeof(Health).Assembly.GetTypes(),
            new ConfigurationBuilder().AddInMemoryCollection(RunningDevHost.BaselineSettings()).Build(),
            routePrefix: "api")
        .Http.ToDictionary(function => function.Name);

    private static string RecordingCursor => new RecordingCursor(DateTime.UtcNow.AddDays(1), long.MaxValue).Encode();

    public static TheoryData<string> Functions => new(Cases.Keys.Order(StringComparer.Ordinal));

    [Fact]
    public void Every_http_function_has_a_case()
        => Assert.Equal(HttpFunctions.Keys.Order(StringComparer.Ordinal), Cases.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Functions))]
    public async Task Text_postgresql_cannot_store_is_a_400_naming_the_field_and_writes_nothing(string function)
    {
        var subject = await SubjectAsync();
        var problems = new List<string>();
        int sent = 0, serverErrors = 0;
        foreach (var request in Cases[function](subject))
        {
            foreach (var slot in Slots(request))
            {
                foreach (var bad in BadTexts)
                {
                    var before = await WrittenAsync(subject.User.Id);
                    using var response = await SendAsync(subject.User, HttpFunctions[function], slot.Spoil(request, bad));
                    var body = await response.Content.ReadAsStringAsync();
                    var what = $"{slot.Field} ({slot.Where}, {bad.Name}): {(int)response.StatusCode}";
                    sent++;
                    serverErrors += (int)response.StatusCode >= 500 ? 1 : 0;
                    if (!Meets(slot.Expected(bad), response, body, slot.Field))
                    {
                        problems.Add($"{what}, expected {slot.Expected(bad)}: {body}");
                    }
                    if (await WrittenAsync(subject.User.Id) != before)
                    {
                        problems.Add($"{what}, and the request wrote to the database");
                    }
                }
            }
            // The unspoiled request is valid input: the refusals above are the spoiled text's.
            if (Slots(request).Any())
            {
                using var response = await SendAsync(subject.User, HttpFunctions[function], request);
                if (response.StatusCode == HttpStatusCode.BadRequest || (int)response.StatusCode >= 500)
                {
                    problems.Add($"the unspoiled request got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
        }
        Assert.True(
            problems.Count == 0,
            $"{function}: {serverErrors} of {sent} spoiled requests answered 5xx.{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    private static bool Meets(Outcome expected, HttpResponseMessage response, string body, string field) => expected switch
    {
        Outcome.BadRequestNamingField => response.StatusCode == HttpStatusCode.BadRequest
            && response.Content.Headers.ContentType?.MediaType == "application/problem+json"
            && JsonDocument.Parse(body).RootElement.TryGetProperty("errors", out var errors)
            && errors.TryGetProperty(field, out _),
        Outcome.ClientError => (int)response.StatusCode is >= 400 and < 500,
        _ => (int)response.StatusCode < 500,
    };

    /// <summary>Every string the request carries, each a place to put bad text.</summary>
    private static IEnumerable<Slot> Slots(Request request)
        => request.Route.Keys.Select(name => (Slot)new RouteSlot(name))
            .Concat(request.Query.Keys.Select(name => new QuerySlot(name)))
            .Concat(request.Body is null ? [] : BodyStrings(request.Body));

    /// <summary>
    /// Each string token of <paramref name="json"/>, values and property names, with the field a refusal names: the
    /// value's path (<c>metadata.labels[1].b</c>), or for a property name the object holding it (<c>body</c> at the top).
    /// </summary>
    private static List<Slot> BodyStrings(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var slots = new List<Slot>();
        var open = new Stack<Container>();
        var reader = new Utf8JsonReader(bytes);
        while (reader.Read())
        {
            var start = (int)reader.TokenStartIndex;
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    open.Peek().Property = reader.GetString();
                    slots.Add(new BodySlot(open.Peek().Path is "" ? "body" : open.Peek().Path, start, reader.ValueSpan.Length + 2, IsName: true));
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    open.Push(new Container(NextPath(open), reader.TokenType == JsonTokenType.StartArray));
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    open.Pop();
                    break;
                case JsonTokenType.String:
                    slots.Add(new BodySlot(NextPath(open), start, reader.ValueSpan.Length + 2, IsName: false));
                    break;
                default:
                    NextPath(open);
                    break;
            }
        }
        return slots;
    }

    // The path of the value being read, moving an enclosing array on to its next item.
    private static string NextPath(Stack<Container> open)
    {
        if (!open.TryPeek(out var container))
        {
            return "";
        }
        if (container.IsArray)
        {
            return $"{container.Path}[{container.Items++}]";
        }
        return container.Path is "" ? container.Property! : $"{container.Path}.{container.Property}";
    }

    private static async Task<HttpResponseMessage> SendAsync(TestUser user, HttpFunction function, Request request)
    {
        var path = Regex.Replace(function.Route, @"\{(\w+)(:[^}]*)?\}", match => request.Route[match.Groups[1].Value]);
        var query = string.Join('&', request.Query.Select(pair => $"{pair.Key}={pair.Value}"));
        var message = new HttpRequestMessage(new HttpMethod(function.HttpMethods[0]), query.Length == 0 ? path : $"{path}?{query}");
        if (request.Body is not null)
        {
            message.Content = Api.Json(request.Body);
        }
        if (request.FunctionKey)
        {
            message.Headers.Add("x-functions-key", RunningDevHost.FunctionKey);
        }
        return await user.Client.SendAsync(message);
    }

    /// <summary>A user with one of everything a route names, and a BlobCreated delivery for an upload of theirs.</summary>
    private async Task<Subject> SubjectAsync()
    {
        var user = await host.Api.SignInNewUserAsync();
        await using var connection = await host.OpenOwnerAsync();
        var project = await connection.ExecuteScalarAsync<int>("INSERT INTO projects (user_id, name, type) VALUES (@Id, 'Course', 'video') RETURNING id", new { user.Id });
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
    private async Task<string> WrittenAsync(string userId)
    {
        await using var connection = await host.OpenOwnerAsync();
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

    private sealed record Subject(TestUser User, string Project, string Recording, string Uploading, string Session, string BlobCreatedDelivery);

    /// <param name="Body">JSON text, so a test can put in it what a serializer would refuse to write.</param>
    private sealed record Request(string? Body = null, bool FunctionKey = false)
    {
        public Dictionary<string, string> Route { get; init; } = [];

        /// <summary>Values as they go into the URL (these are URL-safe as written).</summary>
        public Dictionary<string, string> Query { get; init; } = [];
    }

    /// <param name="JsonLiteral">The text as a JSON string, escaped as a client would send it.</param>
    /// <param name="UrlEncoded">The text percent-encoded for a URL.</param>
    private sealed record BadText(string Name, string JsonLiteral, string UrlEncoded, Outcome InQuery, Outcome InRoute);

    private enum Outcome
    {
        BadRequestNamingField,
        ClientError,
        NotServerError,
    }

    private sealed class Container(string path, bool isArray)
    {
        public string Path { get; } = path;

        public bool IsArray { get; } = isArray;

        public int Items { get; set; }

        public string? Property { get; set; }
    }

    private abstract record Slot(string Field)
    {
        public abstract string Where { get; }

        public abstract Request Spoil(Request request, BadText bad);

        public abstract Outcome Expected(BadText bad);
    }

    private sealed record BodySlot(string Field, int Start, int Length, bool IsName) : Slot(Field)
    {
        public override string Where => IsName ? "body property name" : "body";

        public override Outcome Expected(BadText bad) => Outcome.BadRequestNamingField;

        public override Request Spoil(Request request, BadText bad)
            => request with { Body = string.Concat(request.Body![..Start], bad.JsonLiteral, request.Body[(Start + Length)..]) };
    }

    private sealed record QuerySlot(string Field) : Slot(Field)
    {
        public override string Where => "query";

        public override Outcome Expected(BadText bad) => bad.InQuery;

        public override Request Spoil(Request request, BadText bad)
            => request with { Query = new(request.Query) { [Field] = bad.UrlEncoded } };
    }

    private sealed record RouteSlot(string Field) : Slot(Field)
    {
        public override string Where => "route";

        public override Outcome Expected(BadText bad) => bad.InRoute;

        public override Request Spoil(Request request, BadText bad)
            => request with { Route = new(request.Route) { [Field] = bad.UrlEncoded } };
    }
}
