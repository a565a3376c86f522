using System.Net;
using System.Text.Json;
using Dapper;
using Xunit;

namespace Recorder.Functions.Tests.Api;

/// <summary>
/// A slides recording's timeline (metadata.slides) over the real functions and PostgreSQL: kept with the upload or set by
/// PATCH, checked by one rule, and returned as the edits' trim leaves it.
/// </summary>
public sealed class SlideTimelineApiTests(ApiTestHost api) : IClassFixture<ApiTestHost>
{
    private static readonly object Timeline = new
    {
        version = 1,
        entries = new object[]
        {
            new { index = 0, fileName = "intro.png", start = 0 },
            new { index = 1, fileName = "agenda.png", start = 2.5 },
            new { index = 2, fileName = "demo.webp", start = 6 },
        },
    };

    [Fact]
    public async Task A_trim_edit_shifts_the_effective_timeline_on_get_and_list_and_undo_brings_it_back()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateCompletedAsync(user, new { recordedWith = "recorder-page", slides = Timeline });
        Assert.Equal([(0, 0m, 0m), (1, 2.5m, 2.5m), (2, 6m, 6m)], await EffectiveAsync(user, id));

        var trim = await (await user.Client.PostAsync($"api/recordings/{id}/edits",
            Api.Json(new { editType = "trim", parameters = new { start = 3, end = 10 }, baseVersion = 0 })))
            .AssertOkAsync(HttpStatusCode.Created);

        // agenda was showing at 3 s: it opens the trimmed recording; intro is cut; demo moves back by 3 s.
        Assert.Equal([(1, 0m, 3m), (2, 3m, 6m)], await EffectiveAsync(user, id));
        var listed = (await (await user.Client.GetAsync("api/recordings")).AssertOkAsync()).GetProperty("items").EnumerateArray().Single();
        Assert.Equal([(1, 0m, 3m), (2, 3m, 6m)], Entries(listed.GetProperty("slides")));
        // What was recorded stays as it was in metadata: the effective timeline is computed, never stored.
        Assert.Equal(0m, listed.GetProperty("metadata").GetProperty("slides").GetProperty("entries")[0].GetProperty("start").GetDecimal());

        var undo = Api.Json(new { baseVersion = trim.GetProperty("version").GetInt64() });
        await (await user.Client.PostAsync($"api/recordings/{id}/edits/undo", undo)).AssertOkAsync();
        Assert.Equal([(0, 0m, 0m), (1, 2.5m, 2.5m), (2, 6m, 6m)], await EffectiveAsync(user, id));
    }

    [Fact]
    public async Task A_recording_without_a_timeline_has_none()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateCompletedAsync(user, new { recordedWith = "recorder-page" });

        var recording = await (await user.Client.GetAsync($"api/recordings/{id}")).AssertOkAsync();

        Assert.Equal(JsonValueKind.Null, recording.GetProperty("slides").ValueKind);
    }

    [Theory]
    [InlineData("""{ "version": 1, "entries": [ { "index": 0.5, "fileName": "a.png", "start": 0 } ] }""", "entries[0].index")]
    [InlineData("""{"version": 1, "entries": [{"index": 0, "fileName": "a", "start": 2}, {"index": 1, "fileName": "b", "start": 1}]}""",
        "entries[1].start")]
    [InlineData("""{ "version": 1, "entries": [ { "index": 0, "fileName": "", "start": 0 } ] }""", "entries[0].fileName")]
    [InlineData("""{ "version": 1, "entries": [ { "index": 0, "fileName": "a.png", "start": 0, "title": "Intro" } ] }""",
        "entries[0].title")]
    [InlineData("""{ "version": 1, "entries": [] }""", "entries")]
    [InlineData("""{ "version": 3, "entries": [ { "index": 0, "fileName": "a.png", "start": 0 } ] }""", "version")]
    [InlineData("""["intro.png"]""", "")]
    public async Task A_timeline_of_another_shape_is_a_400_at_upload_and_in_a_patch_and_nothing_is_written(string slides, string field)
    {
        var user = await api.SignInNewUserAsync();
        var path = field.Length == 0 ? "slides" : "slides." + field;

        var upload = await (await user.Client.PostAsync("api/recordings/uploads", Api.Json($$"""
            { "title": "Talk", "recordingType": "slides", "mimeType": "video/webm", "fileSize": 1024, "metadata": { "slides": {{slides}} } }
            """))).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(upload.GetProperty("errors").TryGetProperty("metadata." + path, out _), upload.GetRawText());
        await using var connection = await api.OpenMaintenanceAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM recordings WHERE user_id = @Id", new { user.Id }));

        var id = await CreateCompletedAsync(user, new { slides = Timeline });
        var rename = Api.Json($$"""{ "title": "Renamed", "slides": {{slides}} }""");
        var patch = await (await user.Client.PatchAsync($"api/recordings/{id}", rename)).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(patch.GetProperty("errors").TryGetProperty(path, out _), patch.GetRawText());
        Assert.Equal(("Talk", 3), await connection.QuerySingleAsync<(string, int)>(
            "SELECT title, jsonb_array_length(metadata -> 'slides' -> 'entries') FROM recordings WHERE id = @id", new { id }));
    }

    [Fact]
    public async Task A_file_name_postgresql_cannot_store_is_a_400()
    {
        var user = await api.SignInNewUserAsync();

        var problem = await (await user.Client.PostAsync("api/recordings/uploads", Api.Json("""
            { "title": "Talk", "recordingType": "slides", "mimeType": "video/webm", "fileSize": 1024,
              "metadata": { "slides": { "version": 1, "entries": [ { "index": 0, "fileName": "a\u0000.png", "start": 0 } ] } } }
            """))).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("metadata.slides.entries[0].fileName", out _), problem.GetRawText());
    }

    [Fact]
    public async Task A_patch_sets_the_timeline_beside_the_rest_of_the_metadata_and_null_removes_it()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateCompletedAsync(user, new { recordedWith = "recorder-page" });

        var set = await (await user.Client.PatchAsync($"api/recordings/{id}", Api.Json(new { slides = Timeline }))).AssertOkAsync();

        Assert.Equal([(0, 0m, 0m), (1, 2.5m, 2.5m), (2, 6m, 6m)], Entries(set.GetProperty("slides")));
        Assert.Equal("recorder-page", set.GetProperty("metadata").GetProperty("recordedWith").GetString());
        Assert.Equal(1280, set.GetProperty("metadata").GetProperty("media").GetProperty("width").GetInt32());
        Assert.Equal([(0, 0m, 0m), (1, 2.5m, 2.5m), (2, 6m, 6m)], await EffectiveAsync(user, id));

        var removed = await (await user.Client.PatchAsync($"api/recordings/{id}", Api.Json("""{ "slides": null }"""))).AssertOkAsync();

        Assert.Equal(JsonValueKind.Null, removed.GetProperty("slides").ValueKind);
        Assert.False(removed.GetProperty("metadata").TryGetProperty("slides", out _));
        Assert.Equal("recorder-page", removed.GetProperty("metadata").GetProperty("recordedWith").GetString());
    }

    [Fact]
    public async Task The_timeline_has_a_budget_of_its_own_beside_the_rest_of_the_metadata()
    {
        var user = await api.SignInNewUserAsync();
        var notes = new string('x', 15 * 1024);
        var entries = Enumerable.Range(0, 300)
            .Select(i => new { index = i % 40, fileName = $"slide-{i % 40:000}.png", start = i * 2 })
            .ToArray();

        // 15 KiB of other metadata and a 15 KB timeline: each within the 16 KiB it may have, together beyond it.
        await CreateAsync(user, new { notes, slides = new { version = 1, entries } });

        var tooLong = entries.Concat(entries.Select(entry => entry with { start = entry.start + 600 })).Take(500).ToArray();
        var problem = await (await user.Client.PostAsync("api/recordings/uploads", Api.Json(Api.UploadRequest(body =>
        {
            body["recordingType"] = "slides";
            body["metadata"] = new { slides = new { version = 1, entries = tooLong } };
        })))).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("metadata.slides", out _), problem.GetRawText());
    }

    private async Task<long> CreateCompletedAsync(TestUser user, object metadata)
    {
        var id = await CreateAsync(user, metadata);
        await using var connection = await api.OpenMaintenanceAsync();
        await connection.ExecuteAsync(
            "UPDATE recordings SET status = 'completed', completed_at = now(), duration = 12.5, " +
            "metadata = metadata || jsonb_build_object('media', '{\"hasVideo\": true, \"width\": 1280, \"height\": 720}'::jsonb) " +
            "WHERE id = @id",
            new { id });
        return id;
    }

    private static async Task<long> CreateAsync(TestUser user, object metadata)
        => (await (await user.Client.PostAsync("api/recordings/uploads", Api.Json(Api.UploadRequest(body =>
        {
            body["title"] = "Talk";
            body["recordingType"] = "slides";
            body["mimeType"] = "video/webm";
            body["metadata"] = metadata;
        })))).AssertOkAsync(HttpStatusCode.Created)).GetProperty("recordingId").GetInt64();

    private static async Task<List<(int, decimal, decimal)>> EffectiveAsync(TestUser user, long id)
        => Entries((await (await user.Client.GetAsync($"api/recordings/{id}")).AssertOkAsync()).GetProperty("slides"));

    private static List<(int, decimal, decimal)> Entries(JsonElement slides)
    {
        Assert.Equal(1, slides.GetProperty("version").GetInt32());
        return slides.GetProperty("entries").EnumerateArray()
            .Select(entry => (
                entry.GetProperty("index").GetInt32(),
                entry.GetProperty("start").GetDecimal(),
                entry.GetProperty("sourceStart").GetDecimal()))
            .ToList();
    }
}
