using System.Net;
using Recorder.Core.LiveUploads;
using Recorder.Functions.Tests.Api;
using Recorder.Functions.Tests.Sessions;
using Xunit;

namespace Recorder.Functions.Tests.LiveUploads;

/// <summary>
/// Live uploads over HTTP (real PostgreSQL and Azurite, blocks staged with the upload URL as a browser does): created
/// without a file size, the blocks storage holds for resuming, and renewals and heartbeats that check what is staged.
/// </summary>
public sealed class LiveUploadApiTests(ApiTestHost api) : IClassFixture<ApiTestHost>
{
    private string Maintenance => api.Database.MaintenanceConnectionString;

    private Task<T> ScalarAsync<T>(string sql, object parameters) => LiveUploadCalls.ScalarAsync<T>(Maintenance, sql, parameters);

    private Task ExecuteAsync(string sql, object parameters) => LiveUploadCalls.ExecuteAsync(Maintenance, sql, parameters);

    private Task LimitAsync(TestUser user, long limitBytes) => ExecuteAsync(
        "INSERT INTO user_storage_limits (user_id, limit_bytes) VALUES (@Id, @limitBytes)", new { user.Id, limitBytes });

    [Fact]
    public async Task A_live_upload_is_created_without_a_file_size_and_says_what_its_browser_keeps_to()
    {
        var user = await api.SignInNewUserAsync();

        var ticket = await user.CreateLiveAsync();

        var id = ticket.RecordingId();
        var live = ticket.GetProperty("live");
        Assert.Equal((120, StagedBlocks.MaxCommittedBlocks, "block-", 6), (live.GetProperty("silenceTimeoutSeconds").GetInt32(),
            live.GetProperty("maxBlocks").GetInt32(), live.GetProperty("blockIdPrefix").GetString(),
            live.GetProperty("blockIdDigits").GetInt32()));
        Assert.True(await ScalarAsync<bool>(
            "SELECT live AND status = 'uploading' AND file_size = 1 AND live_contact_at > now() - interval '1 minute' " +
            "FROM recordings WHERE id = @id", new { id }));
        Assert.True(await ScalarAsync<bool>(
            "SELECT (details ->> 'live')::boolean FROM audit_log " +
            "WHERE recording_id = @id AND action = 'recording.create' AND outcome = 'success'", new { id }));
        var recording = await (await user.Client.GetAsync($"api/recordings/{id}")).AssertOkAsync();
        Assert.Equal((true, false), (recording.GetProperty("live").GetBoolean(), recording.GetProperty("recovered").GetBoolean()));

        // An upload of a finished file says nothing of live terms.
        var finished = await (await user.Client.PostAsync("api/recordings/uploads", Api.Api.Json(Api.Api.UploadRequest())))
            .AssertOkAsync(HttpStatusCode.Created);
        Assert.False(finished.TryGetProperty("live", out _));
    }

    [Theory]
    [InlineData(true, "fileSize", 1000L, "fileSize")]
    [InlineData(true, "expectedSize", 0L, "expectedSize")]
    [InlineData(true, "expectedSize", 6L * 1024 * 1024 * 1024, "expectedSize")]
    [InlineData(false, "expectedSize", 1000L, "expectedSize")]
    public async Task Sizes_that_do_not_suit_the_kind_of_upload_are_a_400_naming_the_field(
        bool live, string field, long value, string errorKey)
    {
        var user = await api.SignInNewUserAsync();

        using var response = await user.Client.PostAsync("api/recordings/uploads", Api.Api.Json(Api.Api.UploadRequest(body =>
        {
            if (live)
            {
                body.Remove("fileSize");
                body["live"] = true;
            }
            body[field] = value;
        })));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(errorKey, out _), problem.ToString());
        Assert.Equal(0, await ScalarAsync<int>("SELECT count(*) FROM recordings WHERE user_id = @Id", new { user.Id }));
    }

    [Fact]
    public async Task A_live_upload_whose_expected_size_does_not_fit_is_413_and_writes_nothing()
    {
        var user = await api.SignInNewUserAsync();
        await LimitAsync(user, 5000);
        await (await user.Client.PostAsync("api/recordings/uploads", Api.Api.Json(Api.Api.UploadRequest(b => b["fileSize"] = 4000))))
            .AssertOkAsync(HttpStatusCode.Created);

        var problem = await (await user.PostLiveAsync(body => body["expectedSize"] = 1001))
            .AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);

        Assert.Equal((4000L, 5000L, 1001L), (problem.GetProperty("usedBytes").GetInt64(), problem.GetProperty("limitBytes").GetInt64(),
            problem.GetProperty("requestedBytes").GetInt64()));
        await user.CreateLiveAsync(body => body["expectedSize"] = 1000);
        // Full: even a live upload of unknown size is refused.
        await (await user.PostLiveAsync()).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(2, await ScalarAsync<int>("SELECT count(*) FROM recordings WHERE user_id = @Id", new { user.Id }));
    }

    [Fact]
    public async Task The_upload_lists_the_blocks_storage_holds_in_order_and_is_not_found_for_another_user()
    {
        var user = await api.SignInNewUserAsync();
        var ticket = await user.CreateLiveAsync();
        var id = ticket.RecordingId();

        var empty = await (await user.GetUploadAsync(id)).AssertOkAsync();
        Assert.Equal((0, 0L, false, "uploading"), (empty.GetProperty("stagedBlocks").GetInt32(),
            empty.GetProperty("stagedBytes").GetInt64(), empty.GetProperty("committed").GetBoolean(),
            empty.GetProperty("status").GetString()));
        Assert.Empty(empty.GetProperty("blocks").EnumerateArray());

        await ticket.StageAsync([(2, new byte[300]), (0, new byte[100]), (1, new byte[200])]);
        // An hour later: out of contact, and the blocks' last read long past (BlockListReadTests).
        await ExecuteAsync("UPDATE recordings SET live_contact_at = now() - interval '1 hour', block_list_reads = NULL WHERE id = @id",
            new { id });
        var staged = await (await user.GetUploadAsync(id)).AssertOkAsync();

        Assert.Equal(
            [(LiveBlockId.Format(0), 0, 100L, false), (LiveBlockId.Format(1), 1, 200L, false), (LiveBlockId.Format(2), 2, 300L, false)],
            staged.GetProperty("blocks").EnumerateArray().Select(block => (block.GetProperty("id").GetString(),
                block.GetProperty("sequence").GetInt32(), block.GetProperty("size").GetInt64(),
                block.GetProperty("committed").GetBoolean())));
        Assert.Equal((3, 600L, 3, 600L, "end", true), (staged.GetProperty("stagedBlocks").GetInt32(),
            staged.GetProperty("stagedBytes").GetInt64(), staged.GetProperty("recoverableBlocks").GetInt32(),
            staged.GetProperty("recoverableBytes").GetInt64(), staged.GetProperty("stoppedBy").GetString(),
            staged.GetProperty("live").GetBoolean()));
        // Reading the blocks is the browser's contact.
        Assert.True(await ScalarAsync<bool>(
            "SELECT live_contact_at > now() - interval '1 minute' FROM recordings WHERE id = @id", new { id }));

        var stranger = await api.SignInNewUserAsync();
        await (await stranger.GetUploadAsync(id)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await user.GetUploadAsync(id + 1_000_000)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await user.GetUploadAsync("abc")).AssertProblemAsync(HttpStatusCode.BadRequest);
        await ExecuteAsync("UPDATE recordings SET status = 'processing' WHERE id = @id", new { id });
        var over = await (await user.GetUploadAsync(id)).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("processing", over.GetProperty("recordingStatus").GetString());
        Assert.Equal(["not_found", "rejected", "success", "success"], (await ScalarAsync<string>(
            "SELECT string_agg(outcome, ',' ORDER BY outcome) FROM audit_log WHERE recording_id = @id AND action = 'recording.read_upload'",
            new { id })).Split(','));
    }

    [Fact]
    public async Task A_renewal_within_the_limits_reserves_what_is_staged_and_one_past_the_quota_is_413_and_writes_nothing()
    {
        var user = await api.SignInNewUserAsync();
        await LimitAsync(user, 10000);
        var ticket = await user.CreateLiveAsync();
        var id = ticket.RecordingId();
        await ticket.StageAsync([(0, new byte[4000])]);

        var renewed = await (await user.RenewAsync(id)).AssertOkAsync();

        Assert.True(renewed.TryGetProperty("live", out _));
        Assert.Equal(4000, await ScalarAsync<long>("SELECT file_size FROM recordings WHERE id = @id", new { id }));

        await ticket.StageAsync([(1, new byte[7000])]);
        await ExecuteAsync("UPDATE recordings SET live_contact_at = '2000-01-01', block_list_reads = NULL WHERE id = @id", new { id });
        var problem = await (await user.RenewAsync(id)).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);

        Assert.Equal(("quota", 0L, 10000L, 11000L, 1, 4000L), (problem.GetProperty("exceeded").GetString(),
            problem.GetProperty("usedBytes").GetInt64(), problem.GetProperty("limitBytes").GetInt64(),
            problem.GetProperty("requestedBytes").GetInt64(), problem.GetProperty("recoverableBlocks").GetInt32(),
            problem.GetProperty("recoverableBytes").GetInt64()));
        // Refused: neither the reservation nor the contact moved.
        Assert.True(await ScalarAsync<bool>(
            "SELECT file_size = 4000 AND live_contact_at = '2000-01-01' FROM recordings WHERE id = @id", new { id }));
        Assert.Equal(1, await ScalarAsync<int>(
            "SELECT count(*) FROM audit_log WHERE recording_id = @id AND action = 'recording.renew_upload_url' AND outcome = 'rejected'",
            new { id }));
    }

    [Fact]
    public async Task A_heartbeat_carries_what_is_staged_and_one_past_the_quota_is_413_and_keeps_nothing()
    {
        var user = await api.SignInNewUserAsync();
        var sessionId = await user.StartAsync();
        var ticket = await user.CreateLiveAsync(body => body["sessionId"] = sessionId);
        var id = ticket.RecordingId();
        await ticket.StageAsync([(0, new byte[3000])]);

        await (await user.StagedHeartbeatAsync(sessionId, new { stagedBytes = 3000, stagedSeconds = 2.5 }))
            .AssertOkAsync(HttpStatusCode.NoContent);

        Assert.True(await ScalarAsync<bool>(
            "SELECT live_reported_bytes = 3000 AND live_reported_seconds = 2.5 AND file_size = 3000 FROM recordings WHERE id = @id",
            new { id }));

        await LimitAsync(user, 2000);
        await ExecuteAsync("UPDATE recording_sessions SET last_heartbeat_at = now() - interval '1 minute' WHERE id = @sessionId",
            new { sessionId });
        await ExecuteAsync("UPDATE recordings SET block_list_reads = NULL WHERE id = @id", new { id });
        var problem = await (await user.StagedHeartbeatAsync(sessionId, new { stagedBytes = 3000, stagedSeconds = 3 }))
            .AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);

        Assert.Equal("quota", problem.GetProperty("exceeded").GetString());
        Assert.True(await ScalarAsync<bool>(
            "SELECT last_heartbeat_at < now() - interval '50 seconds' FROM recording_sessions WHERE id = @sessionId", new { sessionId }));
        Assert.Equal(2.5m, await ScalarAsync<decimal>("SELECT live_reported_seconds FROM recordings WHERE id = @id", new { id }));
        await (await user.StagedHeartbeatAsync(sessionId, new { stagedBytes = -1 })).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Two_live_recordings_of_one_user_share_the_quota_but_not_their_blocks()
    {
        var user = await api.SignInNewUserAsync();
        await LimitAsync(user, 10000);
        var first = await user.CreateLiveAsync();
        var second = await user.CreateLiveAsync();
        // The same block ids on both blobs, as two tabs number their blocks.
        await first.StageAsync([(0, new byte[6000])]);
        await second.StageAsync([(0, new byte[5000])]);

        await (await user.RenewAsync(first.RecordingId())).AssertOkAsync();
        var refused = await (await user.RenewAsync(second.RecordingId())).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);

        Assert.Equal((6000L, 5000L), (refused.GetProperty("usedBytes").GetInt64(), refused.GetProperty("requestedBytes").GetInt64()));
        var firstBlocks = await (await user.GetUploadAsync(first.RecordingId())).AssertOkAsync();
        var secondBlocks = await (await user.GetUploadAsync(second.RecordingId())).AssertOkAsync();
        Assert.Equal((6000L, 5000L),
            (firstBlocks.GetProperty("stagedBytes").GetInt64(), secondBlocks.GetProperty("stagedBytes").GetInt64()));
    }
}
