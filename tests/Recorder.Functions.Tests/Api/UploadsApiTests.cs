using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Dapper;
using Xunit;

namespace Recorder.Functions.Tests.Api;

/// <summary>POST /api/recordings/uploads and its renewal, over real PostgreSQL and Azurite.</summary>
public sealed class UploadsApiTests(ApiTestHost api) : IClassFixture<ApiTestHost>
{
    [Fact]
    public async Task Issues_an_upload_url_the_browser_can_put_the_file_to()
    {
        var user = await api.SignInNewUserAsync();
        var content = Encoding.UTF8.GetBytes("webm bytes");

        using var response = await user.Client.PostAsync("api/recordings/uploads", Api.Json(Api.UploadRequest(b => b["fileSize"] = content.Length)));

        var ticket = await response.AssertOkAsync(HttpStatusCode.Created);
        var id = ticket.GetProperty("recordingId").GetInt64();
        Assert.Equal($"/api/recordings/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("PUT", ticket.GetProperty("method").GetString());
        Assert.Equal("BlockBlob", ticket.GetProperty("headers").GetProperty("x-ms-blob-type").GetString());
        Assert.Equal("video/webm;codecs=vp9,opus", ticket.GetProperty("headers").GetProperty("Content-Type").GetString());
        Assert.True(ticket.GetProperty("blockSize").GetInt32() > 0);
        Assert.True(ticket.GetProperty("maxSingleUploadSize").GetInt32() > 0);
        var blobName = ticket.GetProperty("blobName").GetString()!;
        Assert.Matches($"^{user.Id}/{id}/[0-9a-f]{{32}}\\.webm$", blobName);
        Assert.DoesNotContain("standup", blobName, StringComparison.OrdinalIgnoreCase);
        Assert.True(ticket.GetProperty("expiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(20));

        await using (var connection = await api.OpenMaintenanceAsync())
        {
            var row = await connection.QuerySingleAsync<(string UserId, string Status, string BlobName, long FileSize, decimal? Duration)>(
                "SELECT user_id, status, blob_name, file_size, duration FROM recordings WHERE id = @id", new { id });
            Assert.Equal((user.Id, "uploading", blobName, (long)content.Length, (decimal?)null), row);
            Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM audit_log WHERE recording_id = @id AND action = 'recording.create' AND outcome = 'success'", new { id }));
        }

        var blob = new BlockBlobClient(new Uri(ticket.GetProperty("uploadUrl").GetString()!));
        await blob.UploadAsync(new MemoryStream(content), new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "video/webm" } });
        Assert.Equal(content.Length, (await Recorder.Testing.TestStorage.CreateClient().GetBlobContainerClient(api.Storage.UploadsContainer).GetBlobClient(blobName).GetPropertiesAsync()).Value.ContentLength);
    }

    [Theory]
    [InlineData("title", null, "title")]
    [InlineData("title", "   ", "title")]
    [InlineData("recordingType", "hologram", "recordingType")]
    [InlineData("recordingType", null, "recordingType")]
    [InlineData("mimeType", "image/png", "mimeType")]
    [InlineData("mimeType", "audio/webm", "mimeType")] // a camera recording is video
    [InlineData("mimeType", "not a media type", "mimeType")]
    [InlineData("fileSize", 0, "fileSize")]
    [InlineData("fileSize", -5, "fileSize")]
    [InlineData("fileSize", 6L * 1024 * 1024 * 1024, "fileSize")]
    [InlineData("fileSize", null, "fileSize")]
    [InlineData("quality", "ultra", "quality")]
    [InlineData("projectId", 0, "projectId")]
    [InlineData("projectId", 999999, "projectId")] // nobody's project
    [InlineData("sessionId", 999999, "sessionId")] // nobody's session
    [InlineData("metadata", "a string", "metadata")]
    public async Task Rejects_each_invalid_field_with_a_400_naming_it_and_writes_no_recording(string field, object? value, string errorKey)
    {
        var user = await api.SignInNewUserAsync();

        using var response = await user.Client.PostAsync("api/recordings/uploads", Api.Json(Api.UploadRequest(b => b[field] = value)));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(errorKey, out _), problem.ToString());
        await AssertNoRecordingsAsync(user.Id);
    }

    [Theory]
    [InlineData("{\"title\": \"x\",", HttpStatusCode.BadRequest)]           // not JSON
    [InlineData("[1, 2]", HttpStatusCode.BadRequest)]                        // not an object
    [InlineData("null", HttpStatusCode.BadRequest)]
    [InlineData("", HttpStatusCode.BadRequest)]
    [InlineData("{\"title\": \"x\", \"recordingType\": \"camera\", \"mimeType\": \"video/webm\", \"fileSize\": \"ten\"}", HttpStatusCode.BadRequest)] // wrong type
    [InlineData("{\"title\": \"x\", \"recordingType\": \"camera\", \"mimeType\": \"video/webm\", \"fileSize\": 10, \"colour\": \"red\"}", HttpStatusCode.BadRequest)] // unknown property
    [InlineData("{\"title\": \"x\", \"recordingType\": \"camera\", \"mimeType\": \"video/webm\", \"fileSize\": 1e400}", HttpStatusCode.BadRequest)]
    public async Task Malformed_bodies_are_4xx_problems_and_write_nothing(string body, HttpStatusCode status)
    {
        var user = await api.SignInNewUserAsync();

        using var response = await user.Client.PostAsync("api/recordings/uploads", Api.Json(body));

        await response.AssertProblemAsync(status);
        await AssertNoRecordingsAsync(user.Id);
    }

    [Theory]
    [InlineData("{\"note\": \"a\\u0000b\"}", "metadata.note")]
    [InlineData("{\"note\": \"\\ud800\"}", "metadata.note")]
    [InlineData("{\"level\": 1e-20000}", "metadata")]
    public async Task Metadata_postgres_cannot_store_is_a_400_not_a_500(string metadata, string field)
    {
        var user = await api.SignInNewUserAsync();
        var body = "{\"title\": \"x\", \"recordingType\": \"camera\", \"mimeType\": \"video/webm\", \"fileSize\": 10, \"metadata\": " + metadata + "}";

        using var response = await user.Client.PostAsync("api/recordings/uploads", Api.Json(body));

        Assert.True((await response.AssertProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty(field, out _));
        await AssertNoRecordingsAsync(user.Id);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_415_and_an_oversized_one_413()
    {
        var user = await api.SignInNewUserAsync();

        using var text = await user.Client.PostAsync("api/recordings/uploads", new StringContent("title=x", Encoding.UTF8, "application/x-www-form-urlencoded"));
        await text.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType);

        var huge = Api.UploadRequest(b => b["description"] = new string('x', 100_000));
        using var oversized = await user.Client.PostAsync("api/recordings/uploads", Api.Json(huge));
        await oversized.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);

        var bigMetadata = Api.UploadRequest(b => b["metadata"] = new Dictionary<string, string> { ["blob"] = new string('y', 20_000) });
        using var metadata = await user.Client.PostAsync("api/recordings/uploads", Api.Json(bigMetadata));
        Assert.True((await metadata.AssertProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("metadata", out _));
        await AssertNoRecordingsAsync(user.Id);
    }

    [Fact]
    public async Task Over_the_storage_limit_is_413_with_the_numbers_and_no_row()
    {
        var user = await api.SignInNewUserAsync();
        await using (var connection = await api.OpenMaintenanceAsync())
        {
            await connection.ExecuteAsync("INSERT INTO user_storage_limits (user_id, limit_bytes) VALUES (@Id, 5000)", new { user.Id });
        }
        using var first = await user.Client.PostAsync("api/recordings/uploads", Api.Json(Api.UploadRequest(b => b["fileSize"] = 3000)));
        await first.AssertOkAsync(HttpStatusCode.Created);

        using var second = await user.Client.PostAsync("api/recordings/uploads", Api.Json(Api.UploadRequest(b => b["fileSize"] = 2001)));

        var problem = await second.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(3000, problem.GetProperty("usedBytes").GetInt64());
        Assert.Equal(5000, problem.GetProperty("limitBytes").GetInt64());
        Assert.Equal(2001, problem.GetProperty("requestedBytes").GetInt64());
        await using var check = await api.OpenMaintenanceAsync();
        Assert.Equal(1, await check.ExecuteScalarAsync<int>("SELECT count(*) FROM recordings WHERE user_id = @Id", new { user.Id }));
        Assert.Equal(1, await check.ExecuteScalarAsync<int>("SELECT count(*) FROM audit_log WHERE user_id = @Id AND action = 'recording.create' AND outcome = 'rejected'", new { user.Id }));
    }

    [Fact]
    public async Task Concurrent_uploads_cannot_together_overrun_the_limit()
    {
        var user = await api.SignInNewUserAsync();
        await using (var connection = await api.OpenMaintenanceAsync())
        {
            await connection.ExecuteAsync("INSERT INTO user_storage_limits (user_id, limit_bytes) VALUES (@Id, 10000)", new { user.Id });
        }

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => user.Client.PostAsync("api/recordings/uploads", Api.Json(Api.UploadRequest(b => b["fileSize"] = 3000)))));

        Assert.Equal(3, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(5, responses.Count(r => r.StatusCode == HttpStatusCode.RequestEntityTooLarge));
    }

    [Fact]
    public async Task Links_the_named_recording_session_and_checks_the_project_is_the_callers()
    {
        var user = await api.SignInNewUserAsync();
        int projectId;
        await using (var owner = await api.OpenOwnerAsync())
        {
            projectId = await owner.ExecuteScalarAsync<int>(
                "INSERT INTO projects (user_id, name, type) VALUES (@Id, 'Course', 'video') RETURNING id", new { user.Id });
        }
        await using var connection = await api.OpenMaintenanceAsync();
        var sessionId = await connection.ExecuteScalarAsync<long>("INSERT INTO recording_sessions (user_id, recording_type) VALUES (@Id, 'camera') RETURNING id", new { user.Id });

        using var response = await user.Client.PostAsync("api/recordings/uploads", Api.Json(Api.UploadRequest(b => { b["projectId"] = projectId; b["sessionId"] = sessionId; })));

        var id = (await response.AssertOkAsync(HttpStatusCode.Created)).GetProperty("recordingId").GetInt64();
        Assert.Equal(projectId, await connection.ExecuteScalarAsync<int>("SELECT project_id FROM recordings WHERE id = @id", new { id }));
        Assert.Equal(id, await connection.ExecuteScalarAsync<long>("SELECT recording_id FROM recording_sessions WHERE id = @sessionId", new { sessionId }));

        var other = await api.SignInNewUserAsync();
        using var foreignProject = await other.Client.PostAsync("api/recordings/uploads", Api.Json(Api.UploadRequest(b => b["projectId"] = projectId)));
        Assert.True((await foreignProject.AssertProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("projectId", out _));
        using var foreignSession = await other.Client.PostAsync("api/recordings/uploads",
            Api.Json(Api.UploadRequest(b => b["sessionId"] = sessionId)));
        Assert.True((await foreignSession.AssertProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("sessionId", out _));
        using var taken = await user.Client.PostAsync("api/recordings/uploads", Api.Json(Api.UploadRequest(b => b["sessionId"] = sessionId)));
        Assert.Contains($"already has recording {id}", (await taken.AssertProblemAsync(HttpStatusCode.Conflict)).GetProperty("detail").GetString());
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM recordings WHERE user_id IN (@UserId, @OtherId)", new { UserId = user.Id, OtherId = other.Id }));
        Assert.Equal(3, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_log WHERE user_id IN (@UserId, @OtherId) AND action = 'recording.create' AND outcome = 'rejected'",
            new { UserId = user.Id, OtherId = other.Id }));
    }

    [Fact]
    public async Task Renews_the_url_for_the_same_blob_only_while_uploading()
    {
        var user = await api.SignInNewUserAsync();
        using var created = await user.Client.PostAsync("api/recordings/uploads", Api.Json(Api.UploadRequest()));
        var ticket = await created.AssertOkAsync(HttpStatusCode.Created);
        var id = ticket.GetProperty("recordingId").GetInt64();

        using var renewed = await user.Client.PostAsync($"api/recordings/{id}/upload-url", null);

        var fresh = await renewed.AssertOkAsync();
        Assert.Equal(ticket.GetProperty("blobName").GetString(), fresh.GetProperty("blobName").GetString());
        Assert.Equal(id, fresh.GetProperty("recordingId").GetInt64());

        await using (var connection = await api.OpenMaintenanceAsync())
        {
            await connection.ExecuteAsync("UPDATE recordings SET status = 'completed' WHERE id = @id", new { id });
        }
        using var over = await user.Client.PostAsync($"api/recordings/{id}/upload-url", null);
        await over.AssertProblemAsync(HttpStatusCode.Conflict);

        var stranger = await api.SignInNewUserAsync();
        using var foreign = await stranger.Client.PostAsync($"api/recordings/{id}/upload-url", null);
        await foreign.AssertProblemAsync(HttpStatusCode.NotFound);
        using var notAnId = await user.Client.PostAsync("api/recordings/abc/upload-url", null);
        await notAnId.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task No_new_url_once_the_upload_is_committed_but_staged_blocks_do_not_count()
    {
        var user = await api.SignInNewUserAsync();
        using var created = await user.Client.PostAsync("api/recordings/uploads", Api.Json(Api.UploadRequest()));
        var ticket = await created.AssertOkAsync(HttpStatusCode.Created);
        var id = ticket.GetProperty("recordingId").GetInt64();
        var blob = new BlockBlobClient(new Uri(ticket.GetProperty("uploadUrl").GetString()!));
        var blockId = Convert.ToBase64String(new byte[16]);
        await blob.StageBlockAsync(blockId, new MemoryStream(new byte[1024]));

        await (await user.Client.PostAsync($"api/recordings/{id}/upload-url", null)).AssertOkAsync();

        await blob.CommitBlockListAsync([blockId]);
        await (await user.Client.PostAsync($"api/recordings/{id}/upload-url", null)).AssertProblemAsync(HttpStatusCode.Conflict);
        await using var connection = await api.OpenMaintenanceAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM audit_log WHERE recording_id = @id AND action = 'recording.renew_upload_url' AND outcome = 'rejected'", new { id }));
    }

    [Fact]
    public async Task Without_credentials_it_is_401_and_nothing_is_written()
    {
        var request = Api.UploadRequest(b => b["title"] = "Anonymous " + Guid.NewGuid().ToString("N"));
        var before = await WrittenAsync();
        using var client = api.AnonymousClient();

        using var response = await client.PostAsync("api/recordings/uploads", Api.Json(request));

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(before, await WrittenAsync());

        // The same request signed in writes a recording and its audit entry: the missing credentials kept them out.
        var user = await api.SignInNewUserAsync();
        using var signedIn = await user.Client.PostAsync("api/recordings/uploads", Api.Json(request));
        await signedIn.AssertOkAsync(HttpStatusCode.Created);
        Assert.Equal((before.Recordings + 1, before.AuditEntries + 1), await WrittenAsync());
    }

    // What this upload request writes, counted over every user: a recording and its audit entry (a session link
    // needs a sessionId; the upload URL is signed, not stored).
    private async Task<(long Recordings, long AuditEntries)> WrittenAsync()
    {
        await using var connection = await api.OpenMaintenanceAsync();
        return await connection.QuerySingleAsync<(long, long)>("SELECT (SELECT count(*) FROM recordings), (SELECT count(*) FROM audit_log)");
    }

    private async Task AssertNoRecordingsAsync(string userId)
    {
        await using var connection = await api.OpenMaintenanceAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM recordings WHERE user_id = @userId", new { userId }));
    }
}
