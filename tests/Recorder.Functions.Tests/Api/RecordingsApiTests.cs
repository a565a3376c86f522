using System.Net;
using System.Security.Claims;
using System.Text;
using Azure.Storage.Blobs;
using Dapper;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Recorder.Functions.Tests.DevHost;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests.Api;

/// <summary>List, read, change, delete and storage over real PostgreSQL and Azurite.</summary>
public sealed class RecordingsApiTests(ApiTestHost api) : IClassFixture<ApiTestHost>
{
    [Fact]
    public async Task Lists_newest_first_in_keyset_pages_with_filters()
    {
        var user = await api.SignInNewUserAsync();
        var ids = new List<long>();
        foreach (var (title, type, mime) in new[] { ("Alpha demo", "camera", "video/webm"), ("Beta_talk", "audio", "audio/ogg"), ("Gamma demo", "screen", "video/mp4"), ("Delta", "audio", "audio/webm"), ("Epsilon demo", "camera", "video/webm") })
        {
            ids.Add(await CreateAsync(user, b => { b["title"] = title; b["recordingType"] = type; b["mimeType"] = mime; }));
        }
        ids.Reverse();

        var seen = new List<long>();
        string? cursor = null;
        do
        {
            var page = await (await user.Client.GetAsync("api/recordings?limit=2" + (cursor is null ? "" : "&cursor=" + cursor))).AssertOkAsync();
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetInt64()));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.Equal(ids, seen);

        Assert.Equal(2, (await ListAsync(user, "type=audio")).Count);
        Assert.Equal(3, (await ListAsync(user, "q=demo")).Count);
        Assert.Single(await ListAsync(user, "q=a_t"));      // '_' is a literal, not a wildcard
        Assert.Empty(await ListAsync(user, "q=%25"));       // '%' too
        Assert.Equal(5, (await ListAsync(user, "status=uploading")).Count);
        Assert.Empty(await ListAsync(user, "status=completed"));
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("limit=ten")]
    [InlineData("cursor=not-a-cursor")]
    [InlineData("type=hologram")]
    [InlineData("status=deleting")]
    [InlineData("projectId=-1")]
    [InlineData("sort=title")]
    public async Task Rejects_bad_list_parameters_with_400(string query)
    {
        var user = await api.SignInNewUserAsync();

        await (await user.Client.GetAsync("api/recordings?" + query)).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Reads_a_recording_with_short_lived_urls_once_it_is_completed()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateAsync(user);
        var uploading = await (await user.Client.GetAsync($"api/recordings/{id}")).AssertOkAsync();
        Assert.Equal("uploading", uploading.GetProperty("status").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, uploading.GetProperty("mediaUrl").ValueKind);

        var blobName = await BlobNameAsync(id);
        var storage = TestStorage.CreateClient();
        await storage.GetBlobContainerClient(api.Storage.UploadsContainer).UploadBlobAsync(blobName, BinaryData.FromString("media"));
        await storage.GetBlobContainerClient(api.Storage.ThumbnailsContainer).UploadBlobAsync($"{id}.jpg", BinaryData.FromString("jpeg"));
        await using (var connection = await api.OpenMaintenanceAsync())
        {
            await connection.ExecuteAsync("UPDATE recordings SET status = 'completed', duration = 5.02, thumbnail_blob_name = @thumb, completed_at = now() WHERE id = @id", new { id, thumb = $"{id}.jpg" });
        }

        var completed = await (await user.Client.GetAsync($"api/recordings/{id}")).AssertOkAsync();

        Assert.Equal(5.02m, completed.GetProperty("duration").GetDecimal());
        using var http = new HttpClient();
        Assert.Equal("media", await http.GetStringAsync(completed.GetProperty("mediaUrl").GetString()));
        Assert.Equal("jpeg", await http.GetStringAsync(completed.GetProperty("thumbnailUrl").GetString()));
        Assert.Contains("se=", completed.GetProperty("mediaUrl").GetString());
        var listed = (await ListAsync(user, "")).Single();
        Assert.Equal("jpeg", await http.GetStringAsync(listed.GetProperty("thumbnailUrl").GetString()));
    }

    [Fact]
    public async Task Renames_moves_and_clears_fields()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateAsync(user, b => b["description"] = "first take");
        int projectId;
        await using (var connection = await api.OpenOwnerAsync())
        {
            projectId = await connection.ExecuteScalarAsync<int>("INSERT INTO projects (user_id, name, type) VALUES (@Id, 'Course', 'video') RETURNING id", new { user.Id });
        }

        var changed = await (await user.Client.PatchAsync($"api/recordings/{id}", Api.Json(new { title = "  Final cut ", projectId, quality = "low" }))).AssertOkAsync();
        Assert.Equal("Final cut", changed.GetProperty("title").GetString());
        Assert.Equal(projectId, changed.GetProperty("projectId").GetInt32());
        Assert.Equal("low", changed.GetProperty("quality").GetString());
        Assert.Equal("first take", changed.GetProperty("description").GetString());

        var cleared = await (await user.Client.PatchAsync($"api/recordings/{id}", Api.Json("{\"description\": null, \"projectId\": null}"))).AssertOkAsync();
        Assert.Equal(System.Text.Json.JsonValueKind.Null, cleared.GetProperty("description").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, cleared.GetProperty("projectId").ValueKind);
        Assert.Equal("Final cut", cleared.GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"title\": \"\"}")]
    [InlineData("{\"title\": 5}")]
    [InlineData("{\"quality\": \"ultra\"}")]
    [InlineData("{\"projectId\": \"seven\"}")]
    [InlineData("{\"status\": \"completed\"}")]
    [InlineData("{\"fileSize\": 1}")]
    public async Task Rejects_invalid_changes_and_changes_nothing(string body)
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateAsync(user);

        await (await user.Client.PatchAsync($"api/recordings/{id}", Api.Json(body))).AssertProblemAsync(HttpStatusCode.BadRequest);

        await using var connection = await api.OpenMaintenanceAsync();
        Assert.Equal(("Team standup", "uploading"), await connection.QuerySingleAsync<(string, string)>("SELECT title, status FROM recordings WHERE id = @id", new { id }));
    }

    [Fact]
    public async Task Deletes_the_blobs_and_then_the_row()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateAsync(user);
        var blobName = await BlobNameAsync(id);
        var uploads = TestStorage.CreateClient().GetBlobContainerClient(api.Storage.UploadsContainer);
        await uploads.UploadBlobAsync(blobName, BinaryData.FromString("media"));

        await (await user.Client.DeleteAsync($"api/recordings/{id}")).AssertOkAsync(HttpStatusCode.NoContent);

        Assert.False(await uploads.GetBlobClient(blobName).ExistsAsync());
        await using var connection = await api.OpenMaintenanceAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM recordings WHERE id = @id", new { id }));
        await (await user.Client.GetAsync($"api/recordings/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await user.Client.DeleteAsync($"api/recordings/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("recording")]
    [InlineData("user")]
    public async Task A_recording_under_a_legal_hold_is_not_deleted_409_and_the_refusal_is_audited(string hold)
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateAsync(user);
        var other = await CreateAsync(user);
        var blobName = await BlobNameAsync(id);
        var uploads = TestStorage.CreateClient().GetBlobContainerClient(api.Storage.UploadsContainer);
        await uploads.UploadBlobAsync(blobName, BinaryData.FromString("media"));
        await using var connection = await api.OpenMaintenanceAsync();
        await connection.ExecuteAsync(hold == "recording"
            ? "UPDATE recordings SET legal_hold = true WHERE id = @RecordingId"
            : "INSERT INTO user_legal_holds (user_id, reason) VALUES (@UserId, 'litigation 7')", new { RecordingId = id, UserId = user.Id });

        var problem = await (await user.Client.DeleteAsync($"api/recordings/{id}")).AssertProblemAsync(HttpStatusCode.Conflict);

        Assert.Contains("legal hold", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("litigation", problem.GetRawText(), StringComparison.Ordinal);
        Assert.Equal("uploading", await connection.ExecuteScalarAsync<string>("SELECT status FROM recordings WHERE id = @id", new { id }));
        Assert.True(await uploads.GetBlobClient(blobName).ExistsAsync());
        await (await user.Client.GetAsync($"api/recordings/{id}")).AssertOkAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_log WHERE user_id = @UserId AND recording_id = @RecordingId AND action = 'recording.delete' AND outcome = 'rejected' AND details ->> 'reason' = 'legal hold'", new { UserId = user.Id, RecordingId = id }));
        // A recording hold keeps that recording; a user hold keeps every one of theirs.
        using var second = await user.Client.DeleteAsync($"api/recordings/{other}");
        Assert.Equal(hold == "recording" ? HttpStatusCode.NoContent : HttpStatusCode.Conflict, second.StatusCode);
    }

    [Fact]
    public async Task The_audit_log_takes_the_client_address_our_proxy_appended_never_the_one_the_client_wrote()
    {
        var user = await api.SignInNewUserAsync();
        var settings = api.Settings(api.Database.AppConnectionString, TestEnvironment.StorageConnectionString);
        settings["Http:TrustedProxyHops"] = "0";
        await using var withoutProxy = await RunningDevHost.StartAsync(functionTypes: null, settings);

        foreach (var (baseAddress, requestId) in new[] { (user.Client.BaseAddress!, "behind-ingress"), (withoutProxy.Client.BaseAddress!, "no-proxy") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseAddress, "api/recordings"));
            request.Headers.Add("X-Forwarded-For", "6.6.6.6, 203.0.113.7");
            request.Headers.Add("x-request-id", requestId);
            await (await user.Client.SendAsync(request)).AssertOkAsync();
        }

        await using var connection = await api.OpenMaintenanceAsync();
        var addresses = (await connection.QueryAsync<(string, string)>(
            "SELECT request_id, host(client_ip) FROM audit_log WHERE user_id = @Id ORDER BY id", new { user.Id })).ToList();
        // The default, one trusted hop, is the Container Apps ingress; none means the header is ignored.
        Assert.Equal([("behind-ingress", "203.0.113.7"), ("no-proxy", "127.0.0.1")], addresses);
    }

    [Fact]
    public async Task When_storage_is_down_a_deleted_recording_stays_marked_for_the_sweeper()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateAsync(user);
        await using var brokenStorage = await RunningDevHost.StartAsync(functionTypes: null, api.Settings(api.Database.AppConnectionString, TestStorage.StoppedConnectionString()));
        using var client = new HttpClient { BaseAddress = brokenStorage.Client.BaseAddress };
        foreach (var header in user.Client.DefaultRequestHeaders)
        {
            client.DefaultRequestHeaders.Add(header.Key, header.Value);
        }

        await (await client.DeleteAsync($"api/recordings/{id}")).AssertOkAsync(HttpStatusCode.NoContent);

        await using var connection = await api.OpenMaintenanceAsync();
        Assert.Equal("deleting", await connection.ExecuteScalarAsync<string>("SELECT status FROM recordings WHERE id = @id", new { id }));
        await (await user.Client.GetAsync($"api/recordings/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty(await ListAsync(user, ""));
    }

    [Fact]
    public async Task Another_users_recording_is_404_on_every_verb_and_stays_unchanged()
    {
        var owner = await api.SignInNewUserAsync();
        var id = await CreateAsync(owner);
        var stranger = await api.SignInNewUserAsync();

        await (await stranger.Client.GetAsync($"api/recordings/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.Client.PatchAsync($"api/recordings/{id}", Api.Json(new { title = "mine now" }))).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.Client.DeleteAsync($"api/recordings/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty(await ListAsync(stranger, ""));

        await using var connection = await api.OpenMaintenanceAsync();
        Assert.Equal(("Team standup", "uploading"), await connection.QuerySingleAsync<(string, string)>("SELECT title, status FROM recordings WHERE id = @id", new { id }));
        Assert.Equal(3, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM audit_log WHERE user_id = @strangerId AND recording_id = @id AND outcome = 'not_found'", new { strangerId = stranger.Id, id }));
    }

    [Fact]
    public async Task Every_operation_leaves_exactly_one_audit_entry()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateAsync(user);
        await (await user.Client.GetAsync("api/recordings")).AssertOkAsync();
        await (await user.Client.GetAsync($"api/recordings/{id}")).AssertOkAsync();
        await (await user.Client.PatchAsync($"api/recordings/{id}", Api.Json(new { title = "Renamed" }))).AssertOkAsync();
        await (await user.Client.PostAsync($"api/recordings/{id}/upload-url", null)).AssertOkAsync();
        await (await user.Client.DeleteAsync($"api/recordings/{id}")).AssertOkAsync(HttpStatusCode.NoContent);

        await using var connection = await api.OpenMaintenanceAsync();
        var actions = await connection.QueryAsync<string>("SELECT action FROM audit_log WHERE user_id = @Id ORDER BY id", new { user.Id });
        Assert.Equal(["recording.create", "recording.list", "recording.read", "recording.update", "recording.renew_upload_url", "recording.delete"], actions);
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM audit_log WHERE user_id = @Id AND (actor_id <> @Id OR request_id IS NULL OR client_ip IS NULL)", new { user.Id }));
    }

    [Fact]
    public async Task Reports_storage_used_by_type()
    {
        var user = await api.SignInNewUserAsync();
        await CreateAsync(user, b => b["fileSize"] = 1000);
        await CreateAsync(user, b => b["fileSize"] = 3000);
        await CreateAsync(user, b => { b["fileSize"] = 500; b["recordingType"] = "audio"; b["mimeType"] = "audio/ogg"; });
        await using (var connection = await api.OpenMaintenanceAsync())
        {
            await connection.ExecuteAsync("INSERT INTO user_storage_limits (user_id, limit_bytes) VALUES (@Id, 10000)", new { user.Id });
        }

        var storage = await (await user.Client.GetAsync("api/me/storage")).AssertOkAsync();

        Assert.Equal(4500, storage.GetProperty("usedBytes").GetInt64());
        Assert.Equal(10000, storage.GetProperty("limitBytes").GetInt64());
        Assert.Equal(45.0, storage.GetProperty("percentUsed").GetDouble());
        Assert.Equal(3, storage.GetProperty("recordingCount").GetInt64());
        Assert.Equal(2, storage.GetProperty("byType").GetProperty("camera").GetProperty("count").GetInt64());
        Assert.Equal(500, storage.GetProperty("byType").GetProperty("audio").GetProperty("bytes").GetInt64());
    }

    [Fact]
    public async Task A_bearer_token_works_within_its_scopes_and_is_403_beyond_them()
    {
        var user = await api.SignInNewUserAsync();
        var id = await CreateAsync(user);
        using var readOnly = api.BearerClient(Token(user.Id, "recordings:read"));

        await (await readOnly.GetAsync($"api/recordings/{id}")).AssertOkAsync();
        await (await readOnly.DeleteAsync($"api/recordings/{id}")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await readOnly.PostAsync("api/recordings/uploads", Api.Json(Api.UploadRequest()))).AssertProblemAsync(HttpStatusCode.Forbidden);
        using var forged = api.BearerClient(Token(user.Id, "recordings:read recordings:delete", secret: "not-the-app-secret-but-long-enough-for-hs256"));
        await (await forged.DeleteAsync($"api/recordings/{id}")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    private static string Token(string userId, string scope, string secret = ApiTestHost.JwtSecret)
        => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", userId), new Claim("scope", scope)]),
            Issuer = ApiTestHost.JwtIssuer,
            Audience = ApiTestHost.JwtAudience,
            Expires = DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256),
        });

    private static async Task<long> CreateAsync(TestUser user, Action<Dictionary<string, object?>>? change = null)
        => (await (await user.Client.PostAsync("api/recordings/uploads", Api.Json(Api.UploadRequest(change)))).AssertOkAsync(HttpStatusCode.Created)).GetProperty("recordingId").GetInt64();

    private static async Task<List<System.Text.Json.JsonElement>> ListAsync(TestUser user, string query)
        => (await (await user.Client.GetAsync("api/recordings?" + query)).AssertOkAsync()).GetProperty("items").EnumerateArray().ToList();

    private async Task<string> BlobNameAsync(long id)
    {
        await using var connection = await api.OpenMaintenanceAsync();
        return await connection.ExecuteScalarAsync<string>("SELECT blob_name FROM recordings WHERE id = @id", new { id }) ?? throw new InvalidOperationException($"no recording {id}");
    }
}
