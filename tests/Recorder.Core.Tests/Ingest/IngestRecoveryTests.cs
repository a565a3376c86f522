using Azure.Storage.Queues;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Ingest;
using Recorder.Core.Tests.Lifecycle;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Ingest;

/// <summary>
/// No recording is stuck for want of a message: none is visible before the change it follows has committed, none
/// is dropped while another attempt holds the recording, and two uploads cannot both take the last of a quota.
/// </summary>
public sealed class IngestRecoveryTests : IngestTestBase
{
    [Fact]
    public async Task The_ingest_message_is_not_visible_before_the_webhooks_transaction_commits()
    {
        var userId = await data.NewUserAsync();
        var id = await data.InsertAsync(userId, "uploading", TimeSpan.FromMinutes(1));
        var blobName = LifecycleData.UploadName(userId, id);
        var uploaded = (await TestStorage.CreateClient().GetBlobContainerClient(storage.UploadsContainer).GetBlobClient(blobName)
            .UploadAsync(TestEnvironment.MediaFixture("chrome-camera.webm"))).Value;
        var blobCreated = new BlobCreatedEvent("event-1", LifecycleHarness.Topic, storage.UploadsContainer, blobName, "PutBlob",
            $"\"{uploaded.ETag.ToString().Trim('"')}\"", "0000000000000001", 1, "video/webm");

        Task<AcceptOutcome> accepting;
        await using (var holder = await data.OpenOwnerAsync())
        {
            // The acceptor's transaction stops at its outbox insert, after marking the recording 'processing'.
            await using var hold = await holder.BeginTransactionAsync();
            await holder.ExecuteAsync("LOCK TABLE ingest_outbox IN ACCESS EXCLUSIVE MODE", transaction: hold);
            await using var services = harness.Build();
            accepting = services.GetRequiredService<BlobEventAcceptor>().AcceptAsync(blobCreated, default);
            await Eventually.TrueAsync(async () => await data.ScalarAsync<int>(
                "SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND usename = 'recorder_maintenance' AND wait_event_type = 'Lock'") == 1,
                "the webhook waits inside its transaction");

            Assert.Empty(await harness.ReceiveAsync());
            await hold.RollbackAsync();
            Assert.Equal(AcceptOutcome.Queued, await accepting);
        }

        await ProcessAsync(Assert.Single(await harness.ReceiveAsync()));
        Assert.Equal("completed", await data.StatusAsync(id));
    }

    [Fact]
    public async Task A_message_for_a_recording_another_attempt_holds_comes_back_when_that_lease_can_have_ended()
    {
        var (_, id, message) = await AcceptedRecordingAsync();
        await data.ExecuteAsync(
            "UPDATE recordings SET ingest_lease_id = gen_random_uuid(), ingest_lease_until = now() + interval '40 seconds', ingest_attempts = 1 WHERE id = @id", new { id });

        await ProcessAsync(message);

        var queue = new QueueClient(TestEnvironment.StorageConnectionString, harness.QueueName, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        Assert.Equal(1, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        Assert.Empty((await queue.PeekMessagesAsync()).Value);
        Assert.Equal("processing", await data.StatusAsync(id));
    }

    [Fact]
    public async Task Two_uploads_declared_small_and_uploaded_large_at_once_cannot_both_take_the_last_of_the_quota()
    {
        var userId = await data.NewUserAsync();
        var size = new FileInfo(TestEnvironment.MediaFixture("chrome-camera.webm")).Length;
        await data.ExecuteAsync("INSERT INTO user_storage_limits (user_id, limit_bytes) VALUES (@userId, @limit)", new { userId, limit = size * 3 / 2 });
        var first = await AcceptedRecordingAsync(userId: userId);
        var second = await AcceptedRecordingAsync(userId: userId);
        await data.ExecuteAsync("UPDATE recordings SET file_size = 10 WHERE user_id = @userId", new { userId });

        // Both workers pass their early check, then meet before either writes anything.
        var bothInspected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = 0;
        Task MeetAsync()
        {
            if (Interlocked.Increment(ref arrived) == 2)
            {
                bothInspected.SetResult();
            }
            return bothInspected.Task;
        }
        await Task.WhenAll(new[] { first.Message, second.Message }.Select(async message =>
        {
            await using var services = harness.Build(blobs: LifecycleHarness.BlobsWith(OnFirstBlobRequest.PutInto(storage.ThumbnailsContainer, before: MeetAsync)));
            await services.GetRequiredService<IngestWorker>().ProcessAsync(message, default);
        }));

        var outcomes = (await Task.WhenAll(new[] { first.Id, second.Id }.Select(id => data.ScalarAsync<string>(
            "SELECT status || coalesce('/' || failure_code, '') FROM recordings WHERE id = @id", new { id })))).Order().ToList();
        Assert.Equal(["completed", "failed/quota_exceeded"], outcomes);
        Assert.Equal(size, await data.ScalarAsync<long>(
            "SELECT sum(file_size)::bigint FROM recordings WHERE user_id = @userId AND status = 'completed'", new { userId }));
    }
}
