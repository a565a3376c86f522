using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Ingest;
using Recorder.Core.Lifecycle;
using Recorder.Core.Storage;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Lifecycle;

/// <summary>
/// Blobs no BlobCreated event brought in: ingested when a recording awaits them, quarantined otherwise
/// (through the webhook's own path and the queue worker), leftovers of failed uploads removed; paged.
/// </summary>
public sealed class ReconciliationTests : LifecycleTestBase
{
    // ReconcileAfter zero: every blob counts as settled (the setting's floor is for production).
    private static readonly LifecycleOptions Settings = new() { ReconcileAfter = TimeSpan.Zero };

    [Fact]
    public async Task An_orphan_blob_is_quarantined_through_the_ingest_queue()
    {
        const string orphan = "someone/999/recording.webm";
        await data.UploadAsync(orphan);

        var result = await harness.RunAsync(Settings);

        Assert.Equal((1, 0), (result.Reconciliation.Quarantined, result.Reconciliation.Ingested));
        var message = Assert.Single(await harness.ReceiveAsync());
        Assert.Equal((IngestMessage.QuarantineKind, orphan), (message.Kind, message.BlobName));

        await using (var services = harness.Build(Settings))
        {
            await services.GetRequiredService<IngestWorker>().ProcessAsync(message, default);
        }
        Assert.False(await data.BlobExistsAsync(orphan));
        Assert.True(await data.BlobExistsAsync($"quarantine/{orphan}", storage.DeadLetterContainer));
        Assert.Equal(1, await data.ScalarAsync<int>("SELECT count(*)::int FROM audit_log WHERE action = 'blob.quarantine' AND details ->> 'blobName' = @orphan", new { orphan }));
    }

    [Fact]
    public async Task A_blob_an_uploading_recording_awaits_is_ingested_as_if_its_event_had_come()
    {
        var userId = await data.NewUserAsync();
        var id = await data.InsertAsync(userId, "uploading", TimeSpan.FromHours(2));
        var blobName = LifecycleData.UploadName(userId, id);
        await data.UploadAsync(blobName);
        var eTag = (await TestStorage.CreateClient().GetBlobContainerClient(storage.UploadsContainer).GetBlobClient(blobName).GetPropertiesAsync()).Value.ETag;

        var result = await harness.RunAsync(Settings);

        Assert.Equal((0, 1), (result.Reconciliation.Quarantined, result.Reconciliation.Ingested));
        Assert.Equal("processing", await data.StatusAsync(id));
        var message = Assert.Single(await harness.ReceiveAsync());
        Assert.Equal((IngestMessage.IngestKind, (long?)id), (message.Kind, message.RecordingId));
        Assert.Equal(eTag.ToString().Trim('"'), message.ETag.Trim('"'));
        Assert.Equal(message.ETag, await data.ScalarAsync<string>("SELECT blob_etag FROM recordings WHERE id = @id", new { id }));

        // Now processing: a second pass leaves it to the worker.
        Assert.Equal(0, (await harness.RunAsync(Settings)).Reconciliation.Ingested);
        Assert.Empty(await harness.ReceiveAsync());
    }

    [Fact]
    public async Task The_leftover_blob_of_an_abandoned_upload_is_removed_by_a_later_run_and_a_kept_failed_upload_gets_its_grace_period()
    {
        var userId = await data.NewUserAsync();
        var abandoned = await data.InsertAsync(userId, "failed", TimeSpan.FromDays(2), failureCode: "upload_abandoned");
        var corrupt = await data.InsertAsync(userId, "failed", TimeSpan.FromDays(2), failureCode: "corrupt_media");
        var completed = await data.InsertAsync(userId, "completed", TimeSpan.FromDays(2));
        foreach (var id in new[] { abandoned, corrupt, completed })
        {
            await data.UploadAsync(LifecycleData.UploadName(userId, id));
        }

        var result = await harness.RunAsync(Settings);

        Assert.Equal(new ReconciliationResult(3, 0, 0, 1, true), result.Reconciliation);
        Assert.False(await data.BlobExistsAsync(LifecycleData.UploadName(userId, abandoned)));
        Assert.True(await data.BlobExistsAsync(LifecycleData.UploadName(userId, corrupt)));
        Assert.True(await data.BlobExistsAsync(LifecycleData.UploadName(userId, completed)));
        // A failure the ledger did not know of (before migration 031, a poison message): kept for the grace period from now.
        const string RemoveAfter = "SELECT remove_after FROM derived_blobs WHERE container = 'uploads' AND recording_id = @corrupt";
        var removeAfter = await data.ScalarAsync<DateTime>(RemoveAfter, new { corrupt });
        Assert.InRange(removeAfter - DateTime.UtcNow, TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(7));
        await harness.RunAsync(Settings);
        Assert.Equal(removeAfter, await data.ScalarAsync<DateTime>(RemoveAfter, new { corrupt }));
        Assert.Equal([("lifecycle", "recording.blob_cleanup")], await data.AuditAsync(abandoned));
        Assert.Equal("failed", await data.StatusAsync(abandoned));
        Assert.Empty(await harness.ReceiveAsync());
    }

    [Fact]
    public async Task The_upload_of_a_completed_recording_that_serves_its_own_copy_is_removed_and_one_still_served_is_kept()
    {
        var userId = await data.NewUserAsync();
        var servesCopy = await data.InsertAsync(userId, "completed", TimeSpan.FromDays(2));
        await data.ExecuteAsync("UPDATE recordings SET media_blob_name = 'x/copy/media.webm' WHERE id = @servesCopy", new { servesCopy });
        // Completed before the server kept copies: its upload blob is what it serves.
        var servesUpload = await data.InsertAsync(userId, "completed", TimeSpan.FromDays(2));
        foreach (var id in new[] { servesCopy, servesUpload })
        {
            await data.UploadAsync(LifecycleData.UploadName(userId, id));
        }

        var result = await harness.RunAsync(Settings);

        Assert.Equal(1, result.Reconciliation.BlobsRemoved);
        Assert.False(await data.BlobExistsAsync(LifecycleData.UploadName(userId, servesCopy)));
        Assert.True(await data.BlobExistsAsync(LifecycleData.UploadName(userId, servesUpload)));
        Assert.Equal([("lifecycle", "recording.blob_cleanup")], await data.AuditAsync(servesCopy));
        Assert.Equal("completed", await data.StatusAsync(servesCopy));
    }

    [Fact]
    public async Task An_awaited_blob_that_storage_made_by_a_copy_is_refused_not_ingested()
    {
        var userId = await data.NewUserAsync();
        var id = await data.InsertAsync(userId, "uploading", TimeSpan.FromHours(2));
        var uploads = TestStorage.CreateClient().GetBlobContainerClient(storage.UploadsContainer);
        var source = uploads.GetBlobClient("someone-else/1/recording.webm");
        await source.UploadAsync(BinaryData.FromString("another user's media"));
        await (await uploads.GetBlobClient(LifecycleData.UploadName(userId, id)).StartCopyFromUriAsync(source.Uri)).WaitForCompletionAsync();
        await source.DeleteAsync();

        var result = await harness.RunAsync(Settings);

        Assert.Equal((0, 0), (result.Reconciliation.Ingested, result.Reconciliation.Quarantined));
        Assert.Equal("failed", await data.StatusAsync(id));
        Assert.Equal("unsupported_upload", await data.ScalarAsync<string>("SELECT failure_code FROM recordings WHERE id = @id", new { id }));
        Assert.False(await data.BlobExistsAsync(LifecycleData.UploadName(userId, id)));
        Assert.Empty(await harness.ReceiveAsync());
    }

    [Fact]
    public async Task The_listing_is_bounded_per_run_and_each_run_goes_on_where_the_last_stopped()
    {
        string[] orphans = ["a/1/recording.webm", "b/2/recording.webm", "c/3/recording.webm"];
        foreach (var orphan in orphans)
        {
            await data.UploadAsync(orphan);
        }
        var paged = new LifecycleOptions { ReconcileAfter = TimeSpan.Zero, ReconcilePageSize = 1, ReconcileMaxPages = 1 };

        var seen = new List<string>();
        var completed = new List<bool>();
        for (var run = 0; run < 4; run++)
        {
            var result = await harness.RunAsync(paged);
            Assert.Equal(1, result.Reconciliation.Listed);
            completed.Add(result.Reconciliation.Completed);
            seen.AddRange((await harness.ReceiveAsync()).Select(message => message.BlobName!));
        }

        Assert.Equal([.. orphans, orphans[0]], seen);
        Assert.Equal([false, false, true, false], completed);
    }
}
