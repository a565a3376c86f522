using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Recorder.Functions.Tests.Api;
using Xunit;

namespace Recorder.Functions.Tests.Edits;

/// <summary>Edit history with undo and redo over the real functions, PostgreSQL and Azurite.</summary>
public sealed class EditsApiTests(ApiTestHost api) : IClassFixture<ApiTestHost>
{
    private static readonly object Trim = new { start = 1.5, end = 10 };
    private static readonly object Crop = new { x = 0, y = 0, width = 640, height = 360 };
    private static readonly object Sepia = new { name = "sepia" };

    [Fact]
    public async Task Applies_each_edit_type_and_the_recording_shows_their_effect()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateCompletedAsync(user);

        var trim = await PostEditAsync(user, id, "trim", Trim, baseVersion: 0);
        Assert.Equal(1, trim.GetProperty("version").GetInt64());
        Assert.Equal("applied", trim.GetProperty("edit").GetProperty("state").GetString());
        Assert.Equal("""{"trim":null}""", trim.GetProperty("edit").GetProperty("undoData").GetRawText().Replace(" ", ""));
        await PostEditAsync(user, id, "crop", Crop, baseVersion: 1);
        await PostEditAsync(user, id, "filter", new { name = "brightness", value = 0.25 }, baseVersion: 2);
        var last = await PostEditAsync(user, id, "text_overlay", new { text = "Intro", x = 0.1, y = 0.8, fontSize = 32, color = "#ff0000", start = 0, end = 12.5 }, baseVersion: 3);

        var state = last.GetProperty("state");
        Assert.Equal(4, state.GetProperty("version").GetInt64());
        var recording = await (await user.Client.GetAsync($"api/recordings/{id}")).AssertOkAsync();
        var edits = recording.GetProperty("edits");
        Assert.Equal(state.GetRawText(), edits.GetRawText());
        Assert.Equal((1.5m, 10m), (edits.GetProperty("trim").GetProperty("start").GetDecimal(), edits.GetProperty("trim").GetProperty("end").GetDecimal()));
        Assert.Equal(640, edits.GetProperty("crop").GetProperty("width").GetInt32());
        Assert.Equal(0.25m, edits.GetProperty("filters").GetProperty("brightness").GetDecimal());
        var overlay = edits.GetProperty("overlays").EnumerateArray().Single();
        Assert.Equal(("Intro", "#FF0000", last.GetProperty("edit").GetProperty("id").GetInt64()), (overlay.GetProperty("text").GetString(), overlay.GetProperty("color").GetString(), overlay.GetProperty("editId").GetInt64()));
        Assert.True(edits.GetProperty("canUndo").GetBoolean());
        Assert.False(edits.GetProperty("canRedo").GetBoolean());
    }

    [Fact]
    public async Task A_recording_without_edits_shows_the_empty_state_at_version_0()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateCompletedAsync(user);

        var edits = (await (await user.Client.GetAsync($"api/recordings/{id}")).AssertOkAsync()).GetProperty("edits");

        Assert.Equal(0, edits.GetProperty("version").GetInt64());
        Assert.Equal(JsonValueKind.Null, edits.GetProperty("trim").ValueKind);
        Assert.Empty(edits.GetProperty("overlays").EnumerateArray());
        Assert.False(edits.GetProperty("canUndo").GetBoolean());
    }

    [Theory]
    [InlineData("trim", """{"start": 4, "end": 4}""", "parameters.end")]                        // zero length
    [InlineData("trim", """{"start": 0, "end": 12.6}""", "parameters.end")]                     // past the end (12.5 s)
    [InlineData("trim", """{"start": 0, "end": 5, "fade": true}""", "parameters.fade")]         // unknown key
    [InlineData("crop", """{"x": 1000, "y": 0, "width": 281, "height": 100}""", "parameters.width")]   // outside the 1280x720 frame
    [InlineData("crop", """{"x": 0, "y": 700, "width": 100, "height": 21}""", "parameters.height")]
    [InlineData("filter", """{"name": "posterize", "value": 1}""", "parameters.name")]          // unknown filter
    [InlineData("filter", """{"name": "contrast", "value": 5}""", "parameters.value")]
    [InlineData("text_overlay", """{"text": "Hi", "x": 0, "y": 0, "fontSize": 20, "color": "#FFFFFF", "start": 12, "end": 13}""", "parameters.end")]  // past the end
    [InlineData("text_overlay", """{"text": "Hi", "x": 0, "y": 0, "fontSize": 20, "color": "white", "start": 0, "end": 1}""", "parameters.color")]  // bad colour
    [InlineData("blur", """{"radius": 2}""", "editType")]
    public async Task Refuses_edits_that_do_not_fit_and_records_nothing(string editType, string parameters, string field)
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateCompletedAsync(user);

        var problem = await (await user.Client.PostAsync($"api/recordings/{id}/edits", Api.Api.Json($$"""{"editType": "{{editType}}", "parameters": {{parameters}}, "baseVersion": 0}""")))
            .AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        await AssertHistoryAsync(id, version: 0, states: []);
    }

    [Theory]
    [InlineData("crop")]
    [InlineData("filter")]
    [InlineData("text_overlay")]
    public async Task Visual_edits_of_an_audio_recording_are_refused(string editType)
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateCompletedAsync(user, audio: true);
        object parameters = editType switch
        {
            "crop" => Crop,
            "filter" => Sepia,
            _ => new { text = "Hi", x = 0, y = 0, fontSize = 20, color = "#FFFFFF", start = 0, end = 1 },
        };

        var problem = await (await user.Client.PostAsync($"api/recordings/{id}/edits", Api.Api.Json(new { editType, parameters, baseVersion = 0 }))).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("editType", out _));
        await PostEditAsync(user, id, "trim", Trim, baseVersion: 0); // the audio itself can be trimmed
    }

    [Fact]
    public async Task Apply_three_undo_two_redo_one_then_a_new_edit_discards_the_redo_branch()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateCompletedAsync(user);
        var trimId = (await PostEditAsync(user, id, "trim", Trim, 0)).GetProperty("edit").GetProperty("id").GetInt64();
        var cropId = (await PostEditAsync(user, id, "crop", Crop, 1)).GetProperty("edit").GetProperty("id").GetInt64();
        var sepiaId = (await PostEditAsync(user, id, "filter", Sepia, 2)).GetProperty("edit").GetProperty("id").GetInt64();

        var undone = await UndoRedoAsync(user, id, "undo", 3);
        Assert.Equal((sepiaId, "undone"), (undone.GetProperty("edit").GetProperty("id").GetInt64(), undone.GetProperty("edit").GetProperty("state").GetString()));
        await AssertEffectiveAsync(user, id, version: 4, trim: true, crop: true, filters: [], canRedo: true);
        undone = await UndoRedoAsync(user, id, "undo", 4);
        Assert.Equal(cropId, undone.GetProperty("edit").GetProperty("id").GetInt64());
        await AssertEffectiveAsync(user, id, version: 5, trim: true, crop: false, filters: [], canRedo: true);

        var redone = await UndoRedoAsync(user, id, "redo", 5);
        Assert.Equal((cropId, "applied"), (redone.GetProperty("edit").GetProperty("id").GetInt64(), redone.GetProperty("edit").GetProperty("state").GetString()));
        await AssertEffectiveAsync(user, id, version: 6, trim: true, crop: true, filters: [], canRedo: true);

        var blur = await PostEditAsync(user, id, "filter", new { name = "blur", radius = 4 }, 6);
        Assert.Equal([sepiaId], blur.GetProperty("discarded").EnumerateArray().Select(e => e.GetInt64()));
        await AssertEffectiveAsync(user, id, version: 7, trim: true, crop: true, filters: ["blur"], canRedo: false);
        var problem = await (await PostUndoRedoAsync(user, id, "redo", 7)).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("nothing_to_redo", problem.GetProperty("code").GetString());

        var history = await (await user.Client.GetAsync($"api/recordings/{id}/edits")).AssertOkAsync();
        Assert.Equal(7, history.GetProperty("version").GetInt64());
        var items = history.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([(trimId, "applied"), (cropId, "applied"), (sepiaId, "discarded"), (blur.GetProperty("edit").GetProperty("id").GetInt64(), "applied")],
            items.Select(item => (item.GetProperty("id").GetInt64(), item.GetProperty("state").GetString())));
        Assert.NotEqual(JsonValueKind.Null, items[2].GetProperty("discardedAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, items[0].GetProperty("discardedAt").ValueKind);
        await AssertHistoryAsync(id, version: 7, states: ["applied", "applied", "discarded", "applied"]);

        // Undo all the way back, then once more: nothing left to undo.
        for (var version = 7; version < 10; version++)
        {
            await UndoRedoAsync(user, id, "undo", version);
        }
        await AssertEffectiveAsync(user, id, version: 10, trim: false, crop: false, filters: [], canRedo: true);
        problem = await (await PostUndoRedoAsync(user, id, "undo", 10)).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(("nothing_to_undo", 10), (problem.GetProperty("code").GetString(), problem.GetProperty("currentVersion").GetInt64()));
        await AssertHistoryAsync(id, version: 10, states: ["undone", "undone", "discarded", "undone"]);
    }

    [Fact]
    public async Task A_stale_base_version_is_refused_with_the_current_version_and_changes_nothing()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateCompletedAsync(user);
        await PostEditAsync(user, id, "trim", Trim, 0);

        var stale = await (await user.Client.PostAsync($"api/recordings/{id}/edits", Api.Api.Json(new { editType = "crop", parameters = Crop, baseVersion = 0 }))).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(("stale_version", 1), (stale.GetProperty("code").GetString(), stale.GetProperty("currentVersion").GetInt64()));
        stale = await (await PostUndoRedoAsync(user, id, "undo", 5)).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(1, stale.GetProperty("currentVersion").GetInt64());

        await AssertHistoryAsync(id, version: 1, states: ["applied"]);
    }

    [Fact]
    public async Task The_version_travels_as_ETag_and_If_Match_too()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateCompletedAsync(user);

        using var first = await user.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"api/recordings/{id}/edits")
        {
            Content = Api.Api.Json(new { editType = "trim", parameters = Trim }),
            Headers = { IfMatch = { new EntityTagHeaderValue("\"0\"") } },
        });
        await first.AssertOkAsync(HttpStatusCode.Created);
        Assert.Equal("\"1\"", first.Headers.ETag?.Tag);

        using var undo = await user.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"api/recordings/{id}/edits/undo") { Headers = { IfMatch = { first.Headers.ETag! } } });
        Assert.Equal("\"2\"", undo.Headers.ETag?.Tag);
        Assert.Equal(2, (await undo.AssertOkAsync()).GetProperty("version").GetInt64());

        using var list = await user.Client.GetAsync($"api/recordings/{id}/edits");
        Assert.Equal("\"2\"", list.Headers.ETag?.Tag);

        using var stale = await user.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"api/recordings/{id}/edits/redo") { Headers = { IfMatch = { first.Headers.ETag! } } });
        await stale.AssertProblemAsync(HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData(null, """{"editType": "trim", "parameters": {"start": 0, "end": 1}}""", "baseVersion")]              // no version at all
    [InlineData("\"1\"", """{"editType": "trim", "parameters": {"start": 0, "end": 1}, "baseVersion": 0}""", "baseVersion")]  // they disagree
    [InlineData("W/\"0\"", """{"editType": "trim", "parameters": {"start": 0, "end": 1}}""", "If-Match")]          // weak tags do not match
    [InlineData("*", """{"editType": "trim", "parameters": {"start": 0, "end": 1}}""", "If-Match")]
    [InlineData(null, """{"editType": "trim", "parameters": {"start": 0, "end": 1}, "baseVersion": -1}""", "baseVersion")]
    [InlineData(null, """{"editType": "trim", "parameters": {"start": 0, "end": 1}, "baseVersion": "0"}""", "baseVersion")]
    [InlineData(null, """{"editType": "trim", "parameters": {"start": 0, "end": 1}, "baseVersion": 0, "force": true}""", "force")]
    public async Task A_missing_or_malformed_version_is_a_400(string? ifMatch, string body, string field)
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateCompletedAsync(user);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/recordings/{id}/edits") { Content = Api.Api.Json(body) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        var problem = await (await user.Client.SendAsync(request)).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        await (await user.Client.PostAsync($"api/recordings/{id}/edits/undo", null)).AssertProblemAsync(HttpStatusCode.BadRequest);
        await AssertHistoryAsync(id, version: 0, states: []);
    }

    [Fact]
    public async Task Of_simultaneous_edits_on_one_base_version_exactly_one_succeeds()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateCompletedAsync(user);
        await PostEditAsync(user, id, "trim", Trim, 0);

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            user.Client.PostAsync($"api/recordings/{id}/edits", Api.Api.Json(new { editType = "filter", parameters = new { name = "brightness", value = i / 20.0 }, baseVersion = 1 }))));

        Assert.Single(responses, response => response.StatusCode == HttpStatusCode.Created);
        foreach (var refused in responses.Where(response => response.StatusCode != HttpStatusCode.Created))
        {
            var problem = await refused.AssertProblemAsync(HttpStatusCode.Conflict);
            Assert.Equal(("stale_version", 2), (problem.GetProperty("code").GetString(), problem.GetProperty("currentVersion").GetInt64()));
        }
        await AssertHistoryAsync(id, version: 2, states: ["applied", "applied"]);
    }

    [Fact]
    public async Task Simultaneous_undos_take_back_one_edit_each_only_while_their_version_holds()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateCompletedAsync(user);
        await PostEditAsync(user, id, "trim", Trim, 0);
        await PostEditAsync(user, id, "crop", Crop, 1);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostUndoRedoAsync(user, id, "undo", 2)));

        Assert.Single(responses, response => response.StatusCode == HttpStatusCode.OK);
        await AssertHistoryAsync(id, version: 3, states: ["applied", "undone"]);
    }

    [Fact]
    public async Task Only_completed_recordings_take_edits()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateAsync(user);

        var problem = await (await user.Client.PostAsync($"api/recordings/{id}/edits", Api.Api.Json(new { editType = "trim", parameters = Trim, baseVersion = 0 }))).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("not_completed", problem.GetProperty("code").GetString());
        await (await PostUndoRedoAsync(user, id, "undo", 0)).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await PostUndoRedoAsync(user, id, "redo", 0)).AssertProblemAsync(HttpStatusCode.Conflict);
        var history = await (await user.Client.GetAsync($"api/recordings/{id}/edits")).AssertOkAsync();
        Assert.Empty(history.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Another_users_recording_is_404_on_every_route_and_its_history_stays_unchanged()
    {
        var owner = await api.SignInNewUserAsync();
        var id = await CreateCompletedAsync(owner);
        await PostEditAsync(owner, id, "trim", Trim, 0);
        await UndoRedoAsync(owner, id, "undo", 1);
        var stranger = await api.SignInNewUserAsync();

        await (await stranger.Client.GetAsync($"api/recordings/{id}/edits")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.Client.PostAsync($"api/recordings/{id}/edits", Api.Api.Json(new { editType = "crop", parameters = Crop, baseVersion = 2 }))).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await PostUndoRedoAsync(stranger, id, "undo", 2)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await PostUndoRedoAsync(stranger, id, "redo", 2)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.Client.GetAsync($"api/recordings/{id + 1000}/edits")).AssertProblemAsync(HttpStatusCode.NotFound);

        await AssertHistoryAsync(id, version: 2, states: ["undone"]);
        await using var connection = await api.OpenMaintenanceAsync();
        Assert.Equal(
            ["recording.edit", "recording.edit_history", "recording.edit_redo", "recording.edit_undo"],
            await connection.QueryAsync<string>("SELECT DISTINCT action FROM audit_log WHERE user_id = @StrangerId AND recording_id = @RecordingId AND outcome = 'not_found' ORDER BY action", new { StrangerId = stranger.Id, RecordingId = id }));
    }

    [Fact]
    public async Task Every_operation_leaves_one_audit_entry_naming_the_edit_and_version()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateCompletedAsync(user);
        var editId = (await PostEditAsync(user, id, "crop", Crop, 0)).GetProperty("edit").GetProperty("id").GetInt64();
        await UndoRedoAsync(user, id, "undo", 1);
        await UndoRedoAsync(user, id, "redo", 2);
        await (await user.Client.GetAsync($"api/recordings/{id}/edits")).AssertOkAsync();
        await (await PostUndoRedoAsync(user, id, "redo", 3)).AssertProblemAsync(HttpStatusCode.Conflict);

        await using var connection = await api.OpenMaintenanceAsync();
        var entries = (await connection.QueryAsync<(string Action, string Outcome, long RecordingId, string Details)>(
            "SELECT action, outcome, recording_id, details::text FROM audit_log WHERE user_id = @Id AND action LIKE 'recording.edit%' ORDER BY id", new { user.Id })).ToList();
        Assert.Equal(
            [("recording.edit", "success"), ("recording.edit_undo", "success"), ("recording.edit_redo", "success"), ("recording.edit_history", "success"), ("recording.edit_redo", "rejected")],
            entries.Select(entry => (entry.Action, entry.Outcome)));
        Assert.All(entries, entry => Assert.Equal(id, entry.RecordingId));
        for (var i = 0; i < 3; i++)
        {
            using var details = JsonDocument.Parse(entries[i].Details);
            Assert.Equal((editId, "crop", i + 1L), (details.RootElement.GetProperty("editId").GetInt64(), details.RootElement.GetProperty("editType").GetString(), details.RootElement.GetProperty("version").GetInt64()));
        }
        Assert.Contains("nothing_to_redo", entries[4].Details);
    }

    [Fact]
    public async Task The_history_is_listed_oldest_first_in_keyset_pages()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateCompletedAsync(user);
        var ids = new List<long>();
        for (var version = 0; version < 5; version++)
        {
            ids.Add((await PostEditAsync(user, id, "trim", new { start = version, end = 12 }, version)).GetProperty("edit").GetProperty("id").GetInt64());
        }

        var seen = new List<long>();
        string? cursor = null;
        do
        {
            var page = await (await user.Client.GetAsync($"api/recordings/{id}/edits?limit=2" + (cursor is null ? "" : "&cursor=" + cursor))).AssertOkAsync();
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetInt64()));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(ids, seen);
        foreach (var query in new[] { "limit=0", "limit=101", "cursor=nope", "state=applied" })
        {
            await (await user.Client.GetAsync($"api/recordings/{id}/edits?{query}")).AssertProblemAsync(HttpStatusCode.BadRequest);
        }
    }

    [Fact]
    public async Task Reading_the_history_needs_the_read_scope_and_changing_it_the_write_scope()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateCompletedAsync(user);
        using var reader = api.BearerClient(Token(user.Id, "recordings:read"));
        using var writer = api.BearerClient(Token(user.Id, "recordings:write"));

        await (await reader.GetAsync($"api/recordings/{id}/edits")).AssertOkAsync();
        await (await reader.PostAsync($"api/recordings/{id}/edits", Api.Api.Json(new { editType = "trim", parameters = Trim, baseVersion = 0 }))).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await reader.PostAsync($"api/recordings/{id}/edits/undo", Api.Api.Json(new { baseVersion = 0 }))).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await writer.GetAsync($"api/recordings/{id}/edits")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await writer.PostAsync($"api/recordings/{id}/edits", Api.Api.Json(new { editType = "trim", parameters = Trim, baseVersion = 0 }))).AssertOkAsync(HttpStatusCode.Created);
        await (await writer.PostAsync($"api/recordings/{id}/edits/undo", Api.Api.Json(new { baseVersion = 1 }))).AssertOkAsync();
    }

    [Fact]
    public async Task Deleting_the_recording_deletes_its_history()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateCompletedAsync(user);
        await PostEditAsync(user, id, "trim", Trim, 0);

        await (await user.Client.DeleteAsync($"api/recordings/{id}")).AssertOkAsync(HttpStatusCode.NoContent);

        await (await user.Client.GetAsync($"api/recordings/{id}/edits")).AssertProblemAsync(HttpStatusCode.NotFound);
        await using var connection = await api.OpenMaintenanceAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM recording_edits WHERE recording_id = @id", new { id }));
    }

    private static async Task<JsonElement> PostEditAsync(TestUser user, long id, string editType, object parameters, long baseVersion)
    {
        using var response = await user.Client.PostAsync($"api/recordings/{id}/edits", Api.Api.Json(new { editType, parameters, baseVersion }));
        var body = await response.AssertOkAsync(HttpStatusCode.Created);
        Assert.Equal($"\"{baseVersion + 1}\"", response.Headers.ETag?.Tag);
        Assert.Equal(baseVersion + 1, body.GetProperty("version").GetInt64());
        return body;
    }

    private static Task<HttpResponseMessage> PostUndoRedoAsync(TestUser user, long id, string operation, long baseVersion)
        => user.Client.PostAsync($"api/recordings/{id}/edits/{operation}", Api.Api.Json(new { baseVersion }));

    private static async Task<JsonElement> UndoRedoAsync(TestUser user, long id, string operation, long baseVersion)
        => await (await PostUndoRedoAsync(user, id, operation, baseVersion)).AssertOkAsync();

    private static async Task AssertEffectiveAsync(TestUser user, long id, long version, bool trim, bool crop, string[] filters, bool canRedo)
    {
        var edits = (await (await user.Client.GetAsync($"api/recordings/{id}")).AssertOkAsync()).GetProperty("edits");
        Assert.Equal(version, edits.GetProperty("version").GetInt64());
        Assert.Equal(trim, edits.GetProperty("trim").ValueKind == JsonValueKind.Object);
        Assert.Equal(crop, edits.GetProperty("crop").ValueKind == JsonValueKind.Object);
        Assert.Equal(filters, edits.GetProperty("filters").EnumerateObject().Select(filter => filter.Name));
        Assert.Equal(canRedo, edits.GetProperty("canRedo").GetBoolean());
    }

    private async Task AssertHistoryAsync(long id, long version, string[] states)
    {
        await using var connection = await api.OpenMaintenanceAsync();
        Assert.Equal(version, await connection.ExecuteScalarAsync<long>("SELECT edit_version FROM recordings WHERE id = @id", new { id }));
        Assert.Equal(states, await connection.QueryAsync<string>("SELECT state FROM recording_edits WHERE recording_id = @id ORDER BY sequence", new { id }));
    }

    private async Task<long> CreateCompletedAsync(TestUser user, bool audio = false)
    {
        var id = await CreateAsync(user, audio);
        await using var connection = await api.OpenMaintenanceAsync();
        await connection.ExecuteAsync(
            "UPDATE recordings SET status = 'completed', completed_at = now(), duration = 12.5, metadata = metadata || jsonb_build_object('media', @media::jsonb) WHERE id = @id",
            new { id, media = audio ? """{"hasVideo": false, "hasAudio": true}""" : """{"hasVideo": true, "width": 1280, "height": 720}""" });
        return id;
    }

    private static async Task<long> CreateAsync(TestUser user, bool audio = false)
        => (await (await user.Client.PostAsync("api/recordings/uploads", Api.Api.Json(Api.Api.UploadRequest(body =>
        {
            if (audio)
            {
                body["recordingType"] = "audio";
                body["mimeType"] = "audio/ogg";
            }
        })))).AssertOkAsync(HttpStatusCode.Created)).GetProperty("recordingId").GetInt64();

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
