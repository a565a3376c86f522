using Recorder.Core.Lifecycle;
using Recorder.Core.Storage;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Lifecycle;

/// <summary>
/// A retention run stopped at the worst moments, then run again, leaves neither a row without its
/// blobs nor blobs without their row; and two runs at once do the work once.
/// </summary>
public sealed class LifecycleRecoveryTests : LifecycleTestBase
{
    private static readonly LifecycleOptions Settings = new() { RetentionDays = 30 };

    [Fact]
    public async Task A_run_killed_after_the_first_blob_is_deleted_but_before_the_row_is_finished_by_the_next_run()
    {
        var (userId, id, thumbnail) = await ExpiredRecordingWithThumbnailAsync();
        using var kill = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => harness.RunAsync(Settings, LifecycleHarness.BlobsWith(OnFirstBlobRequest.Delete(after: kill.Cancel)), kill.Token));

        // Killed between the blob step and the row step: the row still says what is left to remove.
        Assert.Equal("deleting", await data.StatusAsync(id));
        Assert.False(await data.BlobExistsAsync(LifecycleData.UploadName(userId, id)));
        Assert.Equal([("lifecycle", "recording.retention")], await data.AuditAsync(id));

        var rerun = await harness.RunAsync(Settings);

        Assert.Equal((0, 1), (rerun.MarkedForRetention, rerun.Purged));
        Assert.Null(await data.StatusAsync(id));
        Assert.False(await data.BlobExistsAsync(thumbnail, storage.ThumbnailsContainer));
        Assert.Equal([("lifecycle", "recording.retention"), ("lifecycle", "recording.purge")], await data.AuditAsync(id));
    }

    [Fact]
    public async Task A_run_killed_after_marking_but_before_any_blob_is_deleted_is_finished_by_the_next_run()
    {
        var (userId, id, thumbnail) = await ExpiredRecordingWithThumbnailAsync();
        using var kill = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.RunAsync(
            Settings,
            LifecycleHarness.BlobsWith(OnFirstBlobRequest.Delete(before: () => { kill.Cancel(); return Task.CompletedTask; })),
            kill.Token));

        Assert.Equal("deleting", await data.StatusAsync(id));
        Assert.True(await data.BlobExistsAsync(LifecycleData.UploadName(userId, id)));
        Assert.True(await data.BlobExistsAsync(thumbnail, storage.ThumbnailsContainer));

        Assert.Equal(1, (await harness.RunAsync(Settings)).Purged);
        Assert.Null(await data.StatusAsync(id));
        Assert.False(await data.BlobExistsAsync(LifecycleData.UploadName(userId, id)));
        Assert.False(await data.BlobExistsAsync(thumbnail, storage.ThumbnailsContainer));
    }

    [Fact]
    public async Task Of_two_runs_at_once_one_works_and_the_other_is_skipped()
    {
        var (userId, id, _) = await ExpiredRecordingWithThumbnailAsync();
        var firstAtDelete = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = LifecycleHarness.BlobsWith(OnFirstBlobRequest.Delete(before: async () =>
        {
            firstAtDelete.SetResult();
            await release.Task;
        }));

        var first = harness.RunAsync(Settings, held);
        await firstAtDelete.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var second = await harness.RunAsync(Settings);
        release.SetResult();
        var firstResult = await first.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(second.Skipped);
        Assert.Equal((false, 1, 1), (firstResult.Skipped, firstResult.MarkedForRetention, firstResult.Purged));
        Assert.Null(await data.StatusAsync(id));
        Assert.False(await data.BlobExistsAsync(LifecycleData.UploadName(userId, id)));
        Assert.Equal([("lifecycle", "recording.retention"), ("lifecycle", "recording.purge")], await data.AuditAsync(id));
    }

    private async Task<(string UserId, long Id, string Thumbnail)> ExpiredRecordingWithThumbnailAsync()
    {
        var userId = await data.NewUserAsync();
        var id = await data.InsertAsync(userId, "completed", TimeSpan.FromDays(40));
        var thumbnail = $"{userId}/{id}/thumbnail.jpg";
        await data.ExecuteAsync("UPDATE recordings SET thumbnail_blob_name = @thumbnail WHERE id = @id", new { id, thumbnail });
        await data.UploadAsync(LifecycleData.UploadName(userId, id));
        await TestStorage.CreateClient().GetBlobContainerClient(storage.ThumbnailsContainer).GetBlobClient(thumbnail).UploadAsync(BinaryData.FromString("jpeg"));
        return (userId, id, thumbnail);
    }
}
