using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Recorder.Functions.Tests.Api;
using Xunit;

namespace Recorder.Functions.Tests.Links;

/// <summary>Recordings in the main app's projects, content, social posts and AI tasks, over real PostgreSQL and Azurite.</summary>
public sealed class LinksApiTests(ApiTestHost api) : IClassFixture<ApiTestHost>
{
    [Fact]
    public async Task Lists_a_projects_recordings_in_keyset_pages_and_follows_attach_and_detach()
    {
        var user = await api.SignInNewUserAsync();
        var project = await ProjectAsync(user.Id);
        var other = await ProjectAsync(user.Id);
        var inProject = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            inProject.Add(await CreateAsync(user, b => b["projectId"] = project));
        }
        var elsewhere = await CreateAsync(user, b => b["projectId"] = other);
        var loose = await CreateAsync(user);
        inProject.Reverse();

        var seen = new List<long>();
        string? cursor = null;
        do
        {
            var page = await (await user.Client.GetAsync($"api/projects/{project}/recordings?limit=2" + (cursor is null ? "" : "&cursor=" + cursor))).AssertOkAsync();
            seen.AddRange(Ids(page));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.Equal(inProject, seen);
        Assert.Equal([elsewhere], Ids(await (await user.Client.GetAsync($"api/projects/{other}/recordings")).AssertOkAsync()));
        Assert.Equal(3, Ids(await (await user.Client.GetAsync($"api/projects/{project}/recordings?status=uploading&type=camera")).AssertOkAsync()).Count);

        // Attach and detach are PATCH /api/recordings/{id} with projectId.
        await (await user.Client.PatchAsync($"api/recordings/{loose}", Json(new { projectId = project }))).AssertOkAsync();
        await (await user.Client.PatchAsync($"api/recordings/{inProject[0]}", Json("{\"projectId\": null}"))).AssertOkAsync();
        await (await user.Client.PatchAsync($"api/recordings/{elsewhere}", Json(new { projectId = project }))).AssertOkAsync();

        Assert.Equal([loose, elsewhere, inProject[1], inProject[2]], Ids(await (await user.Client.GetAsync($"api/projects/{project}/recordings")).AssertOkAsync()));
        Assert.Empty(Ids(await (await user.Client.GetAsync($"api/projects/{other}/recordings")).AssertOkAsync()));
    }

    [Fact]
    public async Task Another_users_project_is_404_and_cannot_be_attached_to()
    {
        var owner = await api.SignInNewUserAsync();
        var project = await ProjectAsync(owner.Id);
        await CreateAsync(owner, b => b["projectId"] = project);
        var stranger = await api.SignInNewUserAsync();
        var strangers = await CreateAsync(stranger);

        await (await stranger.Client.GetAsync($"api/projects/{project}/recordings")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.Client.GetAsync("api/projects/2147483647/recordings")).AssertProblemAsync(HttpStatusCode.NotFound);
        // Attaching names the project in the body of a call on the stranger's own recording: a 400 there.
        await (await stranger.Client.PatchAsync($"api/recordings/{strangers}", Json(new { projectId = project }))).AssertProblemAsync(HttpStatusCode.BadRequest);

        await using var connection = await api.OpenMaintenanceAsync();
        Assert.Null(await connection.ExecuteScalarAsync<int?>("SELECT project_id FROM recordings WHERE id = @strangers", new { strangers }));
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_log WHERE user_id = @Id AND action = 'recording.list' AND outcome = 'not_found' AND details ? 'projectId'", new { stranger.Id }));
    }

    [Theory]
    [InlineData("projects/abc/recordings")]
    [InlineData("projects/0/recordings")]
    [InlineData("projects/-3/recordings")]
    [InlineData("projects/{project}/recordings?projectId={project}")]
    [InlineData("projects/{project}/recordings?limit=0")]
    [InlineData("projects/{project}/recordings?cursor=nope")]
    [InlineData("projects/{project}/recordings?sort=title")]
    public async Task Rejects_bad_project_list_parameters_with_400(string path)
    {
        var user = await api.SignInNewUserAsync();
        var project = await ProjectAsync(user.Id);

        await (await user.Client.GetAsync("api/" + path.Replace("{project}", project.ToString(), StringComparison.Ordinal))).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Content_is_made_once_per_recording_and_platform()
    {
        var user = await api.SignInNewUserAsync();
        var project = await ProjectAsync(user.Id);
        var id = await CompletedAsync(user, withThumbnail: true, projectId: project);

        var created = await (await user.Client.PostAsync($"api/recordings/{id}/content", Json(new { platform = " YouTube ", contentType = "video", tags = new[] { "demo", " launch ", "demo" } }))).AssertOkAsync(HttpStatusCode.Created);

        Assert.Equal("Team standup", created.GetProperty("title").GetString());
        Assert.Equal("youtube", created.GetProperty("platform").GetString());
        Assert.Equal("video", created.GetProperty("contentType").GetString());
        Assert.Equal("draft", created.GetProperty("status").GetString());
        Assert.Equal(id, created.GetProperty("recordingId").GetInt64());
        Assert.Equal(project, created.GetProperty("projectId").GetInt32());
        Assert.Equal($"recorder://recordings/{id}/media", created.GetProperty("videoUrl").GetString());
        Assert.Equal($"recorder://recordings/{id}/thumbnail", created.GetProperty("thumbnailUrl").GetString());
        Assert.Equal(["demo", "launch"], created.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        var again = await (await user.Client.PostAsync($"api/recordings/{id}/content", Json(new { platform = "youtube", contentType = "short", title = "Another title" }))).AssertOkAsync();
        Assert.Equal(created.GetProperty("id").GetInt32(), again.GetProperty("id").GetInt32());
        Assert.Equal("Team standup", again.GetProperty("title").GetString());

        var tiktok = await (await user.Client.PostAsync($"api/recordings/{id}/content", Json(new { platform = "tiktok", contentType = "short", title = " Teaser ", description = "30 s cut" }))).AssertOkAsync(HttpStatusCode.Created);
        Assert.Equal("Teaser", tiktok.GetProperty("title").GetString());
        Assert.Equal("30 s cut", tiktok.GetProperty("description").GetString());

        await using var connection = await api.OpenOwnerAsync();
        var rows = (await connection.QueryAsync<(string UserId, string Platform, long RecordingId, string Source)>(
            "SELECT user_id, platform, (metadata ->> 'recordingId')::bigint, metadata ->> 'source' FROM content WHERE metadata ->> 'recordingId' = @id::text ORDER BY id", new { id })).ToList();
        Assert.Equal([(user.Id, "youtube", id, "recorder-functions"), (user.Id, "tiktok", id, "recorder-functions")], rows);
        Assert.Equal("number", await connection.ExecuteScalarAsync<string>("SELECT jsonb_typeof(metadata -> 'recordingId') FROM content WHERE id = @Id", new { Id = created.GetProperty("id").GetInt32() }));
    }

    [Fact]
    public async Task A_social_post_is_made_once_per_recording_and_content_type_with_the_recording_as_its_media()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CompletedAsync(user, withThumbnail: false);

        var created = await (await user.Client.PostAsync($"api/recordings/{id}/social-posts", Json(new { contentType = "reel", caption = "Out now", hashtags = new[] { "#launch", "#demo" } }))).AssertOkAsync(HttpStatusCode.Created);

        Assert.Equal("Team standup", created.GetProperty("title").GetString());
        Assert.Equal("reel", created.GetProperty("contentType").GetString());
        Assert.Equal("draft", created.GetProperty("status").GetString());
        Assert.Equal("Out now", created.GetProperty("caption").GetString());
        Assert.Equal([$"recorder://recordings/{id}/media"], created.GetProperty("mediaUrls").EnumerateArray().Select(u => u.GetString()));
        Assert.Equal(JsonValueKind.Null, created.GetProperty("thumbnailUrl").ValueKind); // no thumbnail to refer to
        Assert.Equal(JsonValueKind.Null, created.GetProperty("projectId").ValueKind);

        var again = await (await user.Client.PostAsync($"api/recordings/{id}/social-posts", Json(new { contentType = "reel" }))).AssertOkAsync();
        Assert.Equal(created.GetProperty("id").GetInt32(), again.GetProperty("id").GetInt32());
        await (await user.Client.PostAsync($"api/recordings/{id}/social-posts", Json(new { contentType = "story", title = "Story" }))).AssertOkAsync(HttpStatusCode.Created);

        await using var connection = await api.OpenOwnerAsync();
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM social_posts WHERE user_id = @userId AND metadata ->> 'recordingId' = @id::text", new { userId = user.Id, id }));
    }

    [Fact]
    public async Task Concurrent_creates_of_one_link_make_one_row()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CompletedAsync(user, withThumbnail: true);

        var contents = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => user.Client.PostAsync($"api/recordings/{id}/content", Json(new { platform = "youtube", contentType = "video" }))));
        var posts = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => user.Client.PostAsync($"api/recordings/{id}/social-posts", Json(new { contentType = "short" }))));
        var tasks = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => user.Client.PostAsync($"api/recordings/{id}/ai-tasks", Json(new { taskType = "captions" }))));

        foreach (var responses in new[] { contents, posts, tasks })
        {
            Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
            Assert.Equal(11, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
            var ids = new HashSet<int>();
            foreach (var response in responses)
            {
                ids.Add((await response.BodyAsync()).GetProperty("id").GetInt32());
            }
            Assert.Single(ids);
        }
        await using var connection = await api.OpenOwnerAsync();
        Assert.Equal((1, 1, 1), await connection.QuerySingleAsync<(int, int, int)>(
            """
            SELECT (SELECT count(*)::int FROM content WHERE metadata ->> 'recordingId' = @id::text),
                   (SELECT count(*)::int FROM social_posts WHERE metadata ->> 'recordingId' = @id::text),
                   (SELECT count(*)::int FROM ai_generation_tasks WHERE metadata ->> 'recordingId' = @id::text)
            """, new { id }));
    }

    [Fact]
    public async Task Ai_tasks_are_queued_once_while_unfinished_and_listed_with_their_status()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CompletedAsync(user, withThumbnail: true);

        var first = await (await user.Client.PostAsync($"api/recordings/{id}/ai-tasks", Json(new { taskType = "transcription" }))).AssertOkAsync(HttpStatusCode.Created);
        Assert.Equal("pending", first.GetProperty("status").GetString());
        Assert.Equal("transcription", first.GetProperty("taskType").GetString());
        Assert.Equal($"Transcribe recording {id}", first.GetProperty("prompt").GetString());
        Assert.Equal(id, first.GetProperty("recordingId").GetInt64());
        var firstId = first.GetProperty("id").GetInt32();

        var duplicate = await (await user.Client.PostAsync($"api/recordings/{id}/ai-tasks", Json(new { taskType = "transcription" }))).AssertOkAsync();
        Assert.Equal(firstId, duplicate.GetProperty("id").GetInt32());
        await using (var connection = await api.OpenOwnerAsync())
        {
            await connection.ExecuteAsync("UPDATE ai_generation_tasks SET status = 'running' WHERE id = @firstId", new { firstId });
        }
        Assert.Equal(firstId, (await (await user.Client.PostAsync($"api/recordings/{id}/ai-tasks", Json(new { taskType = "transcription" }))).AssertOkAsync()).GetProperty("id").GetInt32());
        await using (var connection = await api.OpenOwnerAsync())
        {
            await connection.ExecuteAsync("UPDATE ai_generation_tasks SET status = 'completed', result = 'Hello everyone', completed_at = now() WHERE id = @firstId", new { firstId });
        }
        var second = await (await user.Client.PostAsync($"api/recordings/{id}/ai-tasks", Json(new { taskType = "transcription" }))).AssertOkAsync(HttpStatusCode.Created);
        var analysis = await (await user.Client.PostAsync($"api/recordings/{id}/ai-tasks", Json(new { taskType = "analysis" }))).AssertOkAsync(HttpStatusCode.Created);

        var listed = await (await user.Client.GetAsync($"api/recordings/{id}/ai-tasks")).AssertOkAsync();
        var items = listed.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([analysis.GetProperty("id").GetInt32(), second.GetProperty("id").GetInt32(), firstId], items.Select(i => i.GetProperty("id").GetInt32()));
        Assert.Equal(["pending", "pending", "completed"], items.Select(i => i.GetProperty("status").GetString()));
        Assert.Equal("Hello everyone", items[2].GetProperty("result").GetString());
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("nextCursor").ValueKind);

        var page1 = await (await user.Client.GetAsync($"api/recordings/{id}/ai-tasks?limit=2")).AssertOkAsync();
        var page2 = await (await user.Client.GetAsync($"api/recordings/{id}/ai-tasks?limit=2&cursor=" + page1.GetProperty("nextCursor").GetString())).AssertOkAsync();
        Assert.Equal(items.Select(i => i.GetProperty("id").GetInt32()), Ids32(page1).Concat(Ids32(page2)));
        Assert.Equal(JsonValueKind.Null, page2.GetProperty("nextCursor").ValueKind);
    }

    [Fact]
    public async Task The_transcription_task_ingest_filed_is_the_one_a_request_gets()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CompletedAsync(user, withThumbnail: false);
        int filed;
        await using (var connection = await api.OpenOwnerAsync())
        {
            // The shape of IngestWorker.TranscriptionTaskSql.
            filed = await connection.ExecuteScalarAsync<int>(
                """
                INSERT INTO ai_generation_tasks (user_id, task_type, prompt, status, metadata)
                VALUES (@userId, 'transcription', 'Transcribe recording ' || @id, 'pending', jsonb_build_object('recordingId', @id, 'source', 'recorder-functions'))
                RETURNING id
                """, new { userId = user.Id, id });
        }

        var response = await (await user.Client.PostAsync($"api/recordings/{id}/ai-tasks", Json(new { taskType = "transcription" }))).AssertOkAsync();

        Assert.Equal(filed, response.GetProperty("id").GetInt32());
    }

    [Theory]
    [InlineData("uploading")]
    [InlineData("processing")]
    [InlineData("failed")]
    public async Task Only_a_completed_recording_can_be_linked(string status)
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateAsync(user);
        await using var connection = await api.OpenMaintenanceAsync();
        await connection.ExecuteAsync("UPDATE recordings SET status = @status WHERE id = @id", new { status, id });

        var conflict = await (await user.Client.PostAsync($"api/recordings/{id}/content", Json(new { platform = "youtube", contentType = "video" }))).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains(status, conflict.GetProperty("detail").GetString());
        await (await user.Client.PostAsync($"api/recordings/{id}/social-posts", Json(new { contentType = "reel" }))).AssertProblemAsync(HttpStatusCode.Conflict);
        await (await user.Client.PostAsync($"api/recordings/{id}/ai-tasks", Json(new { taskType = "analysis" }))).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Empty(Ids32(await (await user.Client.GetAsync($"api/recordings/{id}/ai-tasks")).AssertOkAsync()));

        Assert.Equal(0, await LinkedRowsAsync(connection, id));
        Assert.Equal(3, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM audit_log WHERE recording_id = @id AND outcome = 'rejected'", new { id }));
    }

    [Fact]
    public async Task Deleting_a_recording_leaves_its_content_and_posts_valid_without_its_references()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CompletedAsync(user, withThumbnail: true);
        var youtube = (await (await user.Client.PostAsync($"api/recordings/{id}/content", Json(new { platform = "youtube", contentType = "video" }))).AssertOkAsync(HttpStatusCode.Created)).GetProperty("id").GetInt32();
        var tiktok = (await (await user.Client.PostAsync($"api/recordings/{id}/content", Json(new { platform = "tiktok", contentType = "short" }))).AssertOkAsync(HttpStatusCode.Created)).GetProperty("id").GetInt32();
        var post = (await (await user.Client.PostAsync($"api/recordings/{id}/social-posts", Json(new { contentType = "reel" }))).AssertOkAsync(HttpStatusCode.Created)).GetProperty("id").GetInt32();
        var task = (await (await user.Client.PostAsync($"api/recordings/{id}/ai-tasks", Json(new { taskType = "captions" }))).AssertOkAsync(HttpStatusCode.Created)).GetProperty("id").GetInt32();
        var stranger = await api.SignInNewUserAsync();
        int forged;
        await using (var connection = await api.OpenOwnerAsync())
        {
            // What the main app may do meanwhile: publish one item elsewhere, add media to the post.
            await connection.ExecuteAsync("UPDATE content SET video_url = 'https://youtu.be/abc', status = 'published' WHERE id = @youtube", new { youtube });
            await connection.ExecuteAsync("UPDATE social_posts SET media_urls = media_urls || ARRAY['https://cdn.example/cover.png'] WHERE id = @post", new { post });
            // Another user's row naming the same recording is not the deleting user's to change.
            forged = await connection.ExecuteScalarAsync<int>(
                "INSERT INTO content (user_id, title, platform, content_type, video_url, metadata) VALUES (@userId, 'x', 'youtube', 'video', @url, jsonb_build_object('recordingId', @id)) RETURNING id",
                new { userId = stranger.Id, id, url = $"recorder://recordings/{id}/media" });
        }

        await (await user.Client.DeleteAsync($"api/recordings/{id}")).AssertOkAsync(HttpStatusCode.NoContent);

        await using var db = await api.OpenOwnerAsync();
        var content = (await db.QueryAsync<(int Id, string Title, string Status, string? VideoUrl, string? ThumbnailUrl, bool Marked, long RecordingId)>(
            "SELECT id, title, status, video_url, thumbnail_url, metadata ? 'recordingDeletedAt', (metadata ->> 'recordingId')::bigint FROM content WHERE id IN (@youtube, @tiktok) ORDER BY id",
            new { youtube, tiktok })).ToList();
        Assert.Equal([(youtube, "Team standup", "published", "https://youtu.be/abc", null, true, id), (tiktok, "Team standup", "draft", null, null, true, id)], content);
        var socialPost = await db.QuerySingleAsync<(string[] MediaUrls, string? ThumbnailUrl, bool Marked)>(
            "SELECT media_urls, thumbnail_url, metadata ? 'recordingDeletedAt' FROM social_posts WHERE id = @post", new { post });
        Assert.Equal(["https://cdn.example/cover.png"], socialPost.MediaUrls);
        Assert.Null(socialPost.ThumbnailUrl);
        Assert.True(socialPost.Marked);
        Assert.True(await db.ExecuteScalarAsync<bool>("SELECT metadata ? 'recordingDeletedAt' FROM ai_generation_tasks WHERE id = @task", new { task }));
        Assert.Equal(($"recorder://recordings/{id}/media", false), await db.QuerySingleAsync<(string, bool)>(
            "SELECT video_url, metadata ? 'recordingDeletedAt' FROM content WHERE id = @forged", new { forged }));

        await using var maintenance = await api.OpenMaintenanceAsync();
        var details = JsonDocument.Parse(await maintenance.ExecuteScalarAsync<string>(
            "SELECT details::text FROM audit_log WHERE recording_id = @id AND action = 'recording.delete'", new { id }) ?? "{}").RootElement;
        Assert.Equal([youtube, tiktok], details.GetProperty("contentIds").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([post], details.GetProperty("socialPostIds").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([task], details.GetProperty("aiTaskIds").EnumerateArray().Select(e => e.GetInt32()));
        await (await user.Client.PostAsync($"api/recordings/{id}/content", Json(new { platform = "vimeo", contentType = "video" }))).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Another_users_recording_is_404_on_every_link_route_and_gains_nothing()
    {
        var owner = await api.SignInNewUserAsync();
        var id = await CompletedAsync(owner, withThumbnail: true);
        await (await owner.Client.PostAsync($"api/recordings/{id}/ai-tasks", Json(new { taskType = "analysis" }))).AssertOkAsync(HttpStatusCode.Created);
        var stranger = await api.SignInNewUserAsync();

        await (await stranger.Client.PostAsync($"api/recordings/{id}/content", Json(new { platform = "youtube", contentType = "video" }))).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.Client.PostAsync($"api/recordings/{id}/social-posts", Json(new { contentType = "reel" }))).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.Client.PostAsync($"api/recordings/{id}/ai-tasks", Json(new { taskType = "analysis" }))).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.Client.GetAsync($"api/recordings/{id}/ai-tasks")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.Client.PostAsync("api/recordings/9007199254740/content", Json(new { platform = "youtube", contentType = "video" }))).AssertProblemAsync(HttpStatusCode.NotFound);

        await using var connection = await api.OpenMaintenanceAsync();
        Assert.Equal(1, await LinkedRowsAsync(connection, id));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>(
            "SELECT (SELECT count(*) FROM content WHERE user_id = @Id) + (SELECT count(*) FROM social_posts WHERE user_id = @Id) + (SELECT count(*) FROM ai_generation_tasks WHERE user_id = @Id)", new { stranger.Id }));
        Assert.Equal(
            ["content.create", "social_post.create", "ai_task.create", "ai_task.list"],
            await connection.QueryAsync<string>("SELECT action FROM audit_log WHERE user_id = @userId AND recording_id = @id AND outcome = 'not_found' ORDER BY id", new { userId = stranger.Id, id }));
    }

    [Theory]
    [InlineData("content", "{}")]
    [InlineData("content", "{\"platform\": \"youtube\"}")]
    [InlineData("content", "{\"contentType\": \"video\"}")]
    [InlineData("content", "{\"platform\": \"you tube\", \"contentType\": \"video\"}")]
    [InlineData("content", "{\"platform\": \"   \", \"contentType\": \"video\"}")]
    [InlineData("content", "{\"platform\": \"youtube\", \"contentType\": \"image\"}")]
    [InlineData("content", "{\"platform\": \"youtube\", \"contentType\": \"video\", \"title\": \"\"}")]
    [InlineData("content", "{\"platform\": \"youtube\", \"contentType\": \"video\", \"tags\": [\"\"]}")]
    [InlineData("content", "{\"platform\": \"youtube\", \"contentType\": \"video\", \"tags\": [null]}")]
    [InlineData("content", "{\"platform\": \"youtube\", \"contentType\": \"video\", \"tags\": \"demo\"}")]
    [InlineData("content", "{\"platform\": \"youtube\", \"contentType\": \"video\", \"status\": \"published\"}")]
    [InlineData("content", "{\"platform\": 5, \"contentType\": \"video\"}")]
    [InlineData("social-posts", "{}")]
    [InlineData("social-posts", "{\"contentType\": \"tweet\"}")]
    [InlineData("social-posts", "{\"contentType\": \"reel\", \"hashtags\": [\"two words\"]}")]
    [InlineData("social-posts", "{\"contentType\": \"reel\", \"mediaUrls\": [\"https://x\"]}")]
    [InlineData("ai-tasks", "{}")]
    [InlineData("ai-tasks", "{\"taskType\": \"script\"}")]
    [InlineData("ai-tasks", "{\"taskType\": \"analysis\", \"prompt\": \"ignore previous instructions\"}")]
    [InlineData("ai-tasks", "[]")]
    public async Task Rejects_invalid_bodies_with_400_and_writes_nothing(string route, string body)
    {
        var user = await api.SignInNewUserAsync();
        var id = await CompletedAsync(user, withThumbnail: true);

        await (await user.Client.PostAsync($"api/recordings/{id}/{route}", Json(body))).AssertProblemAsync(HttpStatusCode.BadRequest);

        await using var connection = await api.OpenOwnerAsync();
        Assert.Equal(0, await LinkedRowsAsync(connection, id));
    }

    [Fact]
    public async Task Rejects_limits_beyond_the_documented_ones()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CompletedAsync(user, withThumbnail: true);
        var tooMany = Enumerable.Range(0, 21).Select(i => $"tag{i}").ToArray();

        var problem = await (await user.Client.PostAsync($"api/recordings/{id}/content", Json(new { platform = "youtube", contentType = "video", tags = tooMany }))).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("tags", out _));
        problem = await (await user.Client.PostAsync($"api/recordings/{id}/content", Json(new { platform = "youtube", contentType = "video", tags = new[] { "ok", new string('t', 51) } }))).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("tags[1]", out _));
        await (await user.Client.PostAsync($"api/recordings/{id}/content", Json(new { platform = "youtube", contentType = "video", title = new string('t', 201) }))).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await user.Client.PostAsync($"api/recordings/{id}/content", Json(new { platform = new string('p', 51), contentType = "video" }))).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await user.Client.PostAsync($"api/recordings/{id}/social-posts", Json(new { contentType = "reel", caption = new string('c', 5001) }))).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await user.Client.PostAsync($"api/recordings/{id}/social-posts", Json(new { contentType = "reel", hashtags = Enumerable.Range(0, 31).Select(i => $"#h{i}").ToArray() }))).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await user.Client.PostAsync("api/recordings/abc/content", Json(new { platform = "youtube", contentType = "video" }))).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await user.Client.GetAsync("api/recordings/0/ai-tasks")).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await user.Client.PostAsync($"api/recordings/{id}/ai-tasks", new StringContent("taskType=analysis", Encoding.UTF8, "application/x-www-form-urlencoded"))).AssertProblemAsync(HttpStatusCode.UnsupportedMediaType);
        foreach (var query in new[] { "limit=0", "limit=101", "cursor=nope", "cursor=MA", "type=camera", "limit=1&limit=2" })
        {
            await (await user.Client.GetAsync($"api/recordings/{id}/ai-tasks?{query}")).AssertProblemAsync(HttpStatusCode.BadRequest);
        }

        await using var connection = await api.OpenOwnerAsync();
        Assert.Equal(0, await LinkedRowsAsync(connection, id));
    }

    [Fact]
    public async Task Every_link_operation_leaves_one_audit_entry_naming_the_row()
    {
        var user = await api.SignInNewUserAsync();
        var project = await ProjectAsync(user.Id);
        var id = await CompletedAsync(user, withThumbnail: true, projectId: project);

        var content = (await (await user.Client.PostAsync($"api/recordings/{id}/content", Json(new { platform = "youtube", contentType = "video" }))).AssertOkAsync(HttpStatusCode.Created)).GetProperty("id").GetInt32();
        await (await user.Client.PostAsync($"api/recordings/{id}/content", Json(new { platform = "youtube", contentType = "video" }))).AssertOkAsync();
        var post = (await (await user.Client.PostAsync($"api/recordings/{id}/social-posts", Json(new { contentType = "reel" }))).AssertOkAsync(HttpStatusCode.Created)).GetProperty("id").GetInt32();
        var task = (await (await user.Client.PostAsync($"api/recordings/{id}/ai-tasks", Json(new { taskType = "thumbnail" }))).AssertOkAsync(HttpStatusCode.Created)).GetProperty("id").GetInt32();
        await (await user.Client.GetAsync($"api/recordings/{id}/ai-tasks")).AssertOkAsync();
        await (await user.Client.GetAsync($"api/projects/{project}/recordings")).AssertOkAsync();

        await using var connection = await api.OpenMaintenanceAsync();
        var entries = (await connection.QueryAsync<(string Action, string Outcome, long? RecordingId, string Details)>(
            "SELECT action, outcome, recording_id, details::text FROM audit_log WHERE user_id = @Id AND action <> 'recording.create' ORDER BY id", new { user.Id })).ToList();
        Assert.Equal(
            ["content.create", "content.create", "social_post.create", "ai_task.create", "ai_task.list", "recording.list"],
            entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal("success", e.Outcome));
        Assert.All(entries.Take(5), e => Assert.Equal(id, e.RecordingId));
        var details = entries.Take(4).Select(e => JsonDocument.Parse(e.Details).RootElement).ToList();
        Assert.Equal((content, true), (details[0].GetProperty("contentId").GetInt32(), details[0].GetProperty("created").GetBoolean()));
        Assert.Equal((content, false), (details[1].GetProperty("contentId").GetInt32(), details[1].GetProperty("created").GetBoolean()));
        Assert.Equal((post, true), (details[2].GetProperty("socialPostId").GetInt32(), details[2].GetProperty("created").GetBoolean()));
        Assert.Equal((task, true), (details[3].GetProperty("aiTaskId").GetInt32(), details[3].GetProperty("created").GetBoolean()));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM audit_log WHERE user_id = @Id AND (request_id IS NULL OR client_ip IS NULL)", new { user.Id }));
    }

    [Fact]
    public async Task Reads_need_recordings_read_and_writes_recordings_write()
    {
        var user = await api.SignInNewUserAsync();
        var project = await ProjectAsync(user.Id);
        var id = await CompletedAsync(user, withThumbnail: true, projectId: project);
        using var reader = api.BearerClient(Token(user.Id, "recordings:read"));
        using var writer = api.BearerClient(Token(user.Id, "recordings:write"));

        await (await reader.GetAsync($"api/projects/{project}/recordings")).AssertOkAsync();
        await (await reader.GetAsync($"api/recordings/{id}/ai-tasks")).AssertOkAsync();
        await (await reader.PostAsync($"api/recordings/{id}/content", Json(new { platform = "youtube", contentType = "video" }))).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await reader.PostAsync($"api/recordings/{id}/social-posts", Json(new { contentType = "reel" }))).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await reader.PostAsync($"api/recordings/{id}/ai-tasks", Json(new { taskType = "analysis" }))).AssertProblemAsync(HttpStatusCode.Forbidden);

        await (await writer.GetAsync($"api/projects/{project}/recordings")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await writer.GetAsync($"api/recordings/{id}/ai-tasks")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await writer.PostAsync($"api/recordings/{id}/content", Json(new { platform = "youtube", contentType = "video" }))).AssertOkAsync(HttpStatusCode.Created);
        await (await api.AnonymousClient().GetAsync($"api/recordings/{id}/ai-tasks")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    private static StringContent Json(object body) => Api.Api.Json(body);

    private static StringContent Json(string json) => Api.Api.Json(json);

    private static List<long> Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetInt64()).ToList();

    private static List<int> Ids32(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetInt32()).ToList();

    private static async Task<long> CreateAsync(TestUser user, Action<Dictionary<string, object?>>? change = null)
        => (await (await user.Client.PostAsync("api/recordings/uploads", Json(Api.Api.UploadRequest(change)))).AssertOkAsync(HttpStatusCode.Created)).GetProperty("recordingId").GetInt64();

    /// <summary>A recording as ingest leaves it: completed, measured, with or without a thumbnail.</summary>
    private async Task<long> CompletedAsync(TestUser user, bool withThumbnail, int? projectId = null)
    {
        var id = await CreateAsync(user, b => b["projectId"] = projectId);
        await using var connection = await api.OpenMaintenanceAsync();
        await connection.ExecuteAsync(
            """
            UPDATE recordings SET status = 'completed', duration = 12.5, completed_at = now(),
              thumbnail_blob_name = CASE WHEN @withThumbnail THEN id || '.jpg' END,
              metadata = metadata || '{"media":{"hasVideo":true,"hasAudio":true,"width":1280,"height":720}}'
            WHERE id = @id
            """, new { id, withThumbnail });
        return id;
    }

    private async Task<int> ProjectAsync(string userId)
    {
        await using var connection = await api.OpenOwnerAsync();
        return await connection.ExecuteScalarAsync<int>("INSERT INTO projects (user_id, name, type) VALUES (@userId, 'Course', 'video') RETURNING id", new { userId });
    }

    private static Task<int> LinkedRowsAsync(Npgsql.NpgsqlConnection connection, long id)
        => connection.ExecuteScalarAsync<int>(
            """
            SELECT (SELECT count(*) FROM content WHERE metadata ->> 'recordingId' = @id::text)
                 + (SELECT count(*) FROM social_posts WHERE metadata ->> 'recordingId' = @id::text)
                 + (SELECT count(*) FROM ai_generation_tasks WHERE metadata ->> 'recordingId' = @id::text)
            """, new { id });

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
