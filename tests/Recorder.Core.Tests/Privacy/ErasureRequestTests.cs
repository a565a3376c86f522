using Azure;
using Dapper;
using Recorder.Core.Api;
using Recorder.Core.Privacy;
using Recorder.Core.Tests.Lifecycle;
using Xunit;

namespace Recorder.Core.Tests.Privacy;

/// <summary>
/// The user's erasure as the API runs it: the request hides the recordings and queues the rest; the worker (or,
/// when its message is lost, the privacy sweep) finishes it, resumably; only the erased user reads its state.
/// </summary>
public sealed class ErasureRequestTests : ErasureTestBase
{
    [Fact]
    public async Task A_request_hides_the_recordings_at_once_and_queues_the_storage_work_which_the_worker_completes()
    {
        var userId = await data.NewUserAsync();
        var id = await data.SeedAsync(userId);
        var blobs = await data.BlobsOfAsync(userId);

        var receipt = await RequestAsync(userId);

        Assert.Equal(ErasureReceipt.Pending, receipt.Status);
        Assert.Equal(1, receipt.Counts.ReleasedContent);
        Assert.Equal("deleting", await ScalarAsync<string>("SELECT status FROM recordings WHERE id = @id", new { id }));
        // The storage work is the worker's: every blob is still there, and the erasure is on its queue.
        Assert.Equal(blobs.Order(StringComparer.Ordinal), (await data.BlobsOfAsync(userId)).Order(StringComparer.Ordinal));
        var message = Assert.Single(await erasures.ReceiveAsync());
        Assert.Equal(receipt.ErasureId, message.ErasureId);

        await erasures.RunAsync(service => service.RunAsync(message, CancellationToken.None));

        var completed = await StatusAsync(userId, receipt.ErasureId);
        Assert.Equal(ErasureReceipt.Completed, completed.Status);
        Assert.NotNull(completed.CompletedAt);
        Assert.Equal((1, 1, 6, 1), (completed.Counts.Recordings, completed.Counts.ReleasedContent, completed.Counts.Blobs, completed.Counts.Snapshots));
        Assert.Empty(await data.BlobsOfAsync(userId));
        Assert.Equal(0, await data.RowsNamingAsync(userId));
    }

    [Fact]
    public async Task Asking_again_while_the_erasure_is_open_returns_the_same_erasure()
    {
        var userId = await data.NewUserAsync();
        await data.SeedAsync(userId);

        var first = await RequestAsync(userId);
        var again = await RequestAsync(userId);

        Assert.Equal(first.ErasureId, again.ErasureId);
        Assert.Equal(1, await ScalarAsync<int>("SELECT count(*) FROM privacy_erasures WHERE user_id = @userId", new { userId }));
        Assert.Equal(1, again.Counts.ReleasedContent);
        Assert.Equal([first.ErasureId, first.ErasureId], (await erasures.ReceiveAsync()).Select(message => message.ErasureId));
    }

    [Fact]
    public async Task A_worker_failing_mid_sweep_leaves_the_erasure_pending_for_the_next_delivery_which_finishes_it()
    {
        var userId = await data.NewUserAsync();
        await data.SeedAsync(userId);
        var receipt = await RequestAsync(userId);
        var message = Assert.Single(await erasures.ReceiveAsync());
        var failing = LifecycleHarness.BlobsWith(OnFirstBlobRequest.Delete(before: () => throw new RequestFailedException(503, "Storage went away mid-sweep")));

        // The failure reaches the queue trigger, so the queue delivers the message again.
        await Assert.ThrowsAsync<RequestFailedException>(() => erasures.RunAsync(service => service.RunAsync(message, CancellationToken.None), blobs: failing));

        Assert.Equal(ErasureReceipt.Pending, (await StatusAsync(userId, receipt.ErasureId)).Status);
        Assert.NotEmpty(await data.BlobsOfAsync(userId));

        await erasures.RunAsync(service => service.RunAsync(message, CancellationToken.None));

        var completed = await StatusAsync(userId, receipt.ErasureId);
        Assert.Equal(ErasureReceipt.Completed, completed.Status);
        Assert.Equal((6, 1), (completed.Counts.Blobs, completed.Counts.Snapshots));
        Assert.Empty(await data.BlobsOfAsync(userId));
        Assert.Equal(0, await data.RowsNamingAsync(userId));
    }

    [Fact]
    public async Task An_erasure_whose_message_was_lost_is_finished_by_the_privacy_sweep()
    {
        var userId = await data.NewUserAsync();
        await data.SeedAsync(userId);
        var receipt = await RequestAsync(userId);
        Assert.Single(await erasures.ReceiveAsync());

        Assert.Equal(1, (await erasures.SweepAsync()).ErasuresContinued);

        Assert.Equal(ErasureReceipt.Completed, (await StatusAsync(userId, receipt.ErasureId)).Status);
        Assert.Empty(await data.BlobsOfAsync(userId));
        Assert.Equal(0, await data.RowsNamingAsync(userId));
    }

    [Fact]
    public async Task Only_the_erased_user_reads_the_erasures_state_even_after_it_forgot_their_id()
    {
        var userId = await data.NewUserAsync();
        var otherId = await data.NewUserAsync();
        await data.SeedAsync(userId);
        var receipt = await RequestAsync(userId);
        await erasures.RunAsync(service => service.RunAsync(new ErasureMessage(receipt.ErasureId), CancellationToken.None));

        Assert.Equal(ErasureReceipt.Completed, (await StatusAsync(userId, receipt.ErasureId)).Status);
        Assert.Equal(FailureKind.NotFound, (await TryStatusAsync(otherId, receipt.ErasureId)).Failure?.Kind);
        Assert.Equal(FailureKind.NotFound, (await TryStatusAsync(userId, receipt.ErasureId + 1000)).Failure?.Kind);
    }

    private async Task<ErasureReceipt> RequestAsync(string userId)
    {
        var result = await erasures.RunAsync(service => service.RequestAsync(userId, CancellationToken.None));
        Assert.Null(result.Failure);
        return result.Value!;
    }

    private async Task<ErasureReceipt> StatusAsync(string userId, long erasureId)
    {
        var result = await TryStatusAsync(userId, erasureId);
        Assert.Null(result.Failure);
        return result.Value!;
    }

    private Task<ServiceResult<ErasureReceipt>> TryStatusAsync(string userId, long erasureId)
        => erasures.RunAsync(service => service.GetAsync(userId, erasureId, CancellationToken.None));

    private async Task<T> ScalarAsync<T>(string sql, object parameters)
    {
        // Row-level security binds the owner too: read as the BYPASSRLS maintenance role.
        await using var maintenance = new Npgsql.NpgsqlConnection(database.MaintenanceConnectionString);
        return (await maintenance.ExecuteScalarAsync<T>(sql, parameters))!;
    }
}
