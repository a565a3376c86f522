using System.Diagnostics;
using System.Net;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.LiveUploads;
using Recorder.Functions.Tests.Api;
using Recorder.Functions.Tests.DevHost;
using Recorder.Functions.Tests.Sessions;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests.LiveUploads;

/// <summary>
/// Renewals, heartbeats and block reads of a live upload read its block list with the server's identity: a client calling
/// them in a loop makes the server read at most once per kind of call and LiveUpload__BlockListReadInterval; calls sooner
/// are a 429 with Retry-After that write nothing. Block-list reads are counted on the host's own storage client.
/// </summary>
public sealed class BlockListReadTests(ApiTestHost api) : IClassFixture<ApiTestHost>
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    private string Maintenance => api.Database.MaintenanceConnectionString;

    private Task<T> ScalarAsync<T>(string sql, object parameters) => LiveUploadCalls.ScalarAsync<T>(Maintenance, sql, parameters);

    [Fact]
    public async Task A_loop_of_renewals_heartbeats_and_block_reads_reads_the_block_list_at_most_once_per_kind_and_interval()
    {
        var reads = new BlockListReadCounter();
        await using var host = await StartHostAsync(reads);
        var user = await SignInAsync(host);
        var sessionId = await user.StartAsync();
        var ticket = await user.CreateLiveAsync(body => body["sessionId"] = sessionId);
        var id = ticket.RecordingId();
        await ticket.StageAsync([(0, new byte[1000])]);
        var before = reads.Count;

        var loop = Stopwatch.StartNew();
        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 10; i++)
        {
            answers.Add(await user.RenewAsync(id));
            answers.Add(await user.StagedHeartbeatAsync(sessionId, new { stagedBytes = 1000 }));
            answers.Add(await user.GetUploadAsync(id));
        }
        var elapsed = loop.Elapsed;

        // Three kinds of call, each reading once per interval begun during the loop.
        var bound = 3 * (1 + (int)(elapsed / Interval));
        Assert.InRange(reads.Count - before, 3, bound);
        Assert.Equal(3, answers.Count(answer => answer.IsSuccessStatusCode));
        var refused = answers.Where(answer => !answer.IsSuccessStatusCode).ToList();
        Assert.Equal(answers.Count - 3, refused.Count);
        foreach (var answer in refused)
        {
            var problem = await answer.AssertProblemAsync(HttpStatusCode.TooManyRequests);
            var retryAfter = (int)answer.Headers.RetryAfter!.Delta!.Value.TotalSeconds;
            Assert.InRange(retryAfter, 1, (int)Interval.TotalSeconds);
            Assert.Equal(retryAfter, problem.GetProperty("retryAfterSeconds").GetInt32());
        }
        Assert.Equal(9, await ScalarAsync<int>(
            "SELECT count(*) FROM audit_log WHERE recording_id = @id AND action = 'recording.renew_upload_url' AND outcome = 'rejected' " +
            "AND details ->> 'reason' LIKE '%Retry-After%'", new { id }));
    }

    [Fact]
    public async Task A_call_refused_for_reading_too_soon_writes_nothing_and_the_next_after_the_interval_judges_a_fresh_reading()
    {
        var reads = new BlockListReadCounter();
        await using var host = await StartHostAsync(reads);
        var user = await SignInAsync(host);
        await LiveUploadCalls.ExecuteAsync(Maintenance,
            "INSERT INTO user_storage_limits (user_id, limit_bytes) VALUES (@Id, 10000)", new { user.Id });
        var ticket = await user.CreateLiveAsync();
        var id = ticket.RecordingId();
        await ticket.StageAsync([(0, new byte[4000])]);
        await (await user.RenewAsync(id)).AssertOkAsync();
        await ticket.StageAsync([(1, new byte[7000])]);
        await LiveUploadCalls.ExecuteAsync(Maintenance, "UPDATE recordings SET live_contact_at = '2000-01-01' WHERE id = @id", new { id });

        // Past the quota now, but the renewal read the list a moment ago: a 429, and neither contact nor reservation moves.
        await (await user.RenewAsync(id)).AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.True(await ScalarAsync<bool>(
            "SELECT file_size = 4000 AND live_contact_at = '2000-01-01' FROM recordings WHERE id = @id", new { id }));

        // Once the interval has passed (the last read moved back by it), the renewal reads again and sees the quota passed.
        await LiveUploadCalls.ExecuteAsync(Maintenance, "UPDATE recordings SET block_list_reads = jsonb_build_object('renewal', " +
            "now() - @Interval) WHERE id = @id", new { id, Interval });
        var before = reads.Count;
        var problem = await (await user.RenewAsync(id)).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);

        Assert.Equal(1, reads.Count - before);
        Assert.Equal(("quota", 11000L), (problem.GetProperty("exceeded").GetString(), problem.GetProperty("requestedBytes").GetInt64()));
        // The refused read counts as a read: the next renewal at once is a 429, not another read.
        await (await user.RenewAsync(id)).AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal(1, reads.Count - before);
    }

    private Task<RunningDevHost> StartHostAsync(BlockListReadCounter reads)
    {
        var settings = api.Settings(api.Database.AppConnectionString, TestEnvironment.StorageConnectionString);
        settings["LiveUpload:BlockListReadInterval"] = Interval.ToString("c");
        return RunningDevHost.StartAsync(functionTypes: null, settings, services =>
        {
            var options = new BlobClientOptions();
            options.AddPolicy(reads, HttpPipelinePosition.PerRetry);
            services.AddSingleton(new BlobServiceClient(TestEnvironment.StorageConnectionString, options));
        });
    }

    private async Task<TestUser> SignInAsync(RunningDevHost host)
    {
        var userId = "user-" + Guid.NewGuid().ToString("N")[..12];
        var cookies = await TestSessions.SignInAsync(api.Database.OwnerConnectionString, ApiTestHost.SessionSecret, [userId]);
        var client = new HttpClient { BaseAddress = host.Client.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("Cookie", cookies[0]);
        return new TestUser(userId, client);
    }

    /// <summary>Counts the Get Block List requests the host sends to storage, retries included.</summary>
    private sealed class BlockListReadCounter : HttpPipelinePolicy
    {
        private int count;

        public int Count => Volatile.Read(ref count);

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Observe(message);
            ProcessNext(message, pipeline);
        }

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Observe(message);
            return ProcessNextAsync(message, pipeline);
        }

        private void Observe(HttpMessage message)
        {
            if (message.Request.Method == RequestMethod.Get
                && message.Request.Uri.Query.Contains("comp=blocklist", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref count);
            }
        }
    }
}
