using Dapper;
using Recorder.Core.Ingest;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests.Ingest;

/// <summary>
/// A recording larger than the seekable-copy disk budget (infra/bicep sizes it from the replica's disk) completes and
/// keeps playing from the served copy; no remux fills the disk.
/// </summary>
public sealed class SeekableCopyDiskBudgetTests(TinyDiskIngestTestHost ingest) : IClassFixture<TinyDiskIngestTestHost>
{
    [Fact]
    public async Task A_recording_larger_than_the_budget_completes_and_keeps_its_served_copy()
    {
        var user = await ingest.Api.SignInNewUserAsync();
        var id = await ingest.UploadAsync(user, await File.ReadAllBytesAsync(TestEnvironment.MediaFixture("chrome-camera.webm")), "camera", "video/webm");
        Assert.Equal("completed", (await ingest.WaitForOutcomeAsync(user, id)).GetProperty("status").GetString());

        await Eventually.TrueAsync(
            () => ingest.Logs.Entries.Any(entry => entry.Message.Contains("larger than the seekable-copy disk budget", StringComparison.Ordinal)),
            "the seekable copy was declined for the disk budget");
        await using var connection = await ingest.OpenMaintenanceAsync();
        var media = await connection.ExecuteScalarAsync<string>("SELECT media_blob_name FROM recordings WHERE id = @id", new { id });
        Assert.EndsWith("/media.webm", media, StringComparison.Ordinal);
        // The recording says why it has no seekable copy.
        Assert.Equal(SeekableCopyWorker.LargerThanDiskBudget, await connection.ExecuteScalarAsync<string>("""
            SELECT metadata -> 'seekableCopy' ->> 'reason' FROM recordings
            WHERE id = @id AND metadata -> 'seekableCopy' ->> 'status' = 'not_made'
            """, new { id }));
    }
}
