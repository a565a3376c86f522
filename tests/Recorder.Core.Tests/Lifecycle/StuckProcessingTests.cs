using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Ingest;
using Recorder.Core.Lifecycle;
using Recorder.Core.Storage;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Lifecycle;

/// <summary>
/// The ingest recovery's stuck-processing step: re-queued through the real ingest queue (at once when the worker died
/// holding the lease, after a while when none took it up), then failed; never beside a live worker.
/// </summary>
public sealed class StuckProcessingTests : LifecycleTestBase
{
    private static readonly LifecycleOptions Settings = new() { StuckProcessingAfter = TimeSpan.FromHours(1), MaxProcessingRequeues = 2 };

    [Fact]
    public async Task A_stuck_recording_is_requeued_with_the_webhooks_message_then_fails_after_the_last_try()
    {
        var userId = await data.NewUserAsync();
        var stuck = await ProcessingAsync(userId, since: TimeSpan.FromHours(2));
        var leased = await ProcessingAsync(userId, since: TimeSpan.FromHours(2), leased: true);
        var recent = await ProcessingAsync(userId, since: TimeSpan.FromMinutes(10));

        for (var attempt = 1; attempt <= 2; attempt++)
        {
            Assert.Equal(new StuckProcessingResult(1, 0), await RecoverAsync());
            var message = Assert.Single(await harness.ReceiveAsync());
            Assert.Equal(IngestMessage.Ingest(stuck, "\"0x8DSTUCK\"", "0000000000000001"), message);
            Assert.Equal(attempt, await data.ScalarAsync<int>("SELECT processing_requeues FROM recordings WHERE id = @stuck", new { stuck }));
            // The clock restarted: the next run leaves it to the worker.
            Assert.Equal(StuckProcessingResult.None, (await RecoverAsync()));
            await data.ExecuteAsync("UPDATE recordings SET processing_started_at = now() - interval '2 hours' WHERE id = @stuck", new { stuck });
        }

        Assert.Equal(new StuckProcessingResult(0, 1), (await RecoverAsync()));
        Assert.Empty(await harness.ReceiveAsync());
        await using var connection = await data.OpenMaintenanceAsync();
        var failed = await connection.QuerySingleAsync<(string Status, string FailureCode, Guid? Lease)>(
            "SELECT status, failure_code, ingest_lease_id FROM recordings WHERE id = @stuck", new { stuck });
        Assert.Equal(("failed", "processing_timeout", (Guid?)null), failed);
        Assert.Equal([("lifecycle", "recording.requeue"), ("lifecycle", "recording.requeue"), ("lifecycle", "recording.ingest")], await data.AuditAsync(stuck));
        Assert.Equal("processing", await data.StatusAsync(leased));
        Assert.Equal("processing", await data.StatusAsync(recent));
        Assert.Empty(await data.AuditAsync(leased));
    }

    [Fact]
    public async Task A_recording_a_worker_is_completing_right_now_is_passed_over_and_stays_completed()
    {
        var userId = await data.NewUserAsync();
        var id = await ProcessingAsync(userId, since: TimeSpan.FromHours(2));

        await using (var worker = await data.OpenMaintenanceAsync())
        {
            await using var transaction = await worker.BeginTransactionAsync();
            await worker.ExecuteAsync("SELECT 1 FROM recordings WHERE id = @id FOR UPDATE", new { id }, transaction);

            Assert.Equal(StuckProcessingResult.None, (await RecoverAsync()));

            await worker.ExecuteAsync("UPDATE recordings SET status = 'completed', completed_at = now() WHERE id = @id", new { id }, transaction);
            await transaction.CommitAsync();
        }

        Assert.Equal(StuckProcessingResult.None, (await RecoverAsync()));
        Assert.Equal("completed", await data.StatusAsync(id));
        Assert.Equal(0, await data.ScalarAsync<int>("SELECT processing_requeues FROM recordings WHERE id = @id", new { id }));
        Assert.Empty(await harness.ReceiveAsync());
    }

    [Fact]
    public async Task A_recording_whose_worker_died_holding_its_lease_is_requeued_at_the_next_run_not_after_an_hour()
    {
        var userId = await data.NewUserAsync();
        var orphaned = await ProcessingAsync(userId, since: TimeSpan.FromMinutes(3));
        await data.ExecuteAsync(
            "UPDATE recordings SET ingest_lease_id = gen_random_uuid(), ingest_lease_until = now() - interval '1 second', ingest_attempts = 1 WHERE id = @orphaned",
            new { orphaned });
        var working = await ProcessingAsync(userId, since: TimeSpan.FromMinutes(3), leased: true);

        Assert.Equal(new StuckProcessingResult(1, 0), await RecoverAsync());

        var message = Assert.Single(await harness.ReceiveAsync());
        Assert.Equal((long?)orphaned, message.RecordingId);
        Assert.Null(await data.ScalarAsync<Guid?>("SELECT ingest_lease_id FROM recordings WHERE id = @orphaned", new { orphaned }));
        // Re-queued once: the next run leaves it to the message.
        Assert.Equal(StuckProcessingResult.None, await RecoverAsync());
        Assert.Equal("processing", await data.StatusAsync(working));
    }

    private async Task<StuckProcessingResult> RecoverAsync()
    {
        await using var services = harness.Build(Settings);
        return (await services.GetRequiredService<IngestRecovery>().RunAsync(default)).StuckProcessing;
    }

    private async Task<long> ProcessingAsync(string userId, TimeSpan since, bool leased = false)
    {
        var id = await data.InsertAsync(userId, "processing", TimeSpan.FromHours(3));
        await data.ExecuteAsync(
            """
            UPDATE recordings SET blob_etag = '"0x8DSTUCK"', blob_sequencer = '0000000000000001', processing_started_at = now() - @since,
                   ingest_lease_id = CASE WHEN @leased THEN gen_random_uuid() END,
                   ingest_lease_until = CASE WHEN @leased THEN now() + interval '10 minutes' END
            WHERE id = @id
            """, new { id, since, leased });
        return id;
    }
}
