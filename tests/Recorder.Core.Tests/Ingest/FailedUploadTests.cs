using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Ingest;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Ingest;

/// <summary>
/// Only what cannot be played fails: a recording declared as another type of its kind completes under its true type.
/// A failed upload is kept for the grace period so support can recover it, then the ledger's sweep removes it; what
/// is no recording at all goes at once (docs/ingest.md, "Checks before probing").
/// </summary>
public sealed class FailedUploadTests : IngestTestBase
{
    [Fact]
    public async Task An_mp4_declared_as_webm_completes_as_mp4_is_served_as_mp4_and_the_correction_is_audited()
    {
        var (_, id, message) = await AcceptedRecordingAsync("faststart.mp4");
        Assert.Equal("video/webm", await data.ScalarAsync<string>("SELECT mime_type FROM recordings WHERE id = @id", new { id }));

        await ProcessAsync(message);

        Assert.Equal("completed", await data.StatusAsync(id));
        Assert.Equal("video/mp4", await data.ScalarAsync<string>("SELECT mime_type FROM recordings WHERE id = @id", new { id }));
        var media = await data.ScalarAsync<string>("SELECT media_blob_name FROM recordings WHERE id = @id", new { id });
        Assert.EndsWith("/media.mp4", media);
        var served = TestStorage.CreateClient().GetBlobContainerClient(storage.ProcessedContainer).GetBlobClient(media);
        Assert.Equal("video/mp4", (await served.GetPropertiesAsync()).Value.ContentType);
        var correction = JsonDocument.Parse(await data.ScalarAsync<string>(
            "SELECT details::text FROM audit_log WHERE recording_id = @id AND action = 'recording.mime_type_corrected'",
            new { id })).RootElement;
        Assert.Equal("video/webm", correction.GetProperty("declared").GetString());
        Assert.Equal("video/mp4", correction.GetProperty("mimeType").GetString());
    }

    [Fact]
    public async Task A_recording_of_the_other_kind_fails_and_its_upload_is_kept_for_the_grace_period_then_removed_and_audited()
    {
        var (_, id, message) = await AcceptedRecordingAsync("chrome-audio.webm");
        // A camera recording declared as MP4 whose file is audio only: playable, but not what a camera recording can be.
        Assert.Equal(1, await data.ExecuteAsync("UPDATE recordings SET mime_type = 'video/mp4' WHERE id = @id AND status = 'processing'",
            new { id }));

        await ProcessAsync(message);

        Assert.Equal("unsupported_media", await FailureCodeAsync(id));
        var upload = await UploadNameAsync(id);
        Assert.True(await data.BlobExistsAsync(upload));
        Assert.InRange(await KeptForAsync(upload), TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(7));
        Assert.Equal(0, await SweepAsync());

        await data.ExecuteAsync("UPDATE derived_blobs SET remove_after = now() - interval '1 second'");
        Assert.Equal(1, await SweepAsync());
        Assert.False(await data.BlobExistsAsync(upload));
        Assert.Equal(1, await data.ScalarAsync<int>("""
            SELECT count(*)::int FROM audit_log
            WHERE recording_id = @id AND action = 'recording.blob_cleanup' AND details ->> 'blobName' = @upload
            """, new { id, upload }));
        Assert.Equal("failed", await data.StatusAsync(id));
    }

    [Fact]
    public async Task Bytes_that_are_no_recording_at_all_are_removed_at_once()
    {
        var (_, id, message) = await AcceptedRecordingAsync("png-named.webm");

        await ProcessAsync(message);

        Assert.Equal("unsupported_media", await FailureCodeAsync(id));
        Assert.False(await data.BlobExistsAsync(await UploadNameAsync(id)));
        Assert.StartsWith("not audio or video", await data.ScalarAsync<string>(
            "SELECT metadata ->> 'ingestError' FROM recordings WHERE id = @id", new { id }));
    }

    [Fact]
    public async Task A_held_recording_keeps_its_failed_upload_past_the_grace_period_until_the_hold_is_lifted()
    {
        var (_, id, message) = await AcceptedRecordingAsync("truncated.webm");
        await ProcessAsync(message);
        Assert.Equal("corrupt_media", await FailureCodeAsync(id));
        var upload = await UploadNameAsync(id);
        await data.ExecuteAsync("UPDATE derived_blobs SET remove_after = now() - interval '1 second'");
        Assert.Equal(1, await data.ExecuteAsync("UPDATE recordings SET legal_hold = true WHERE id = @id AND status = 'failed'", new { id }));

        Assert.Equal(0, await SweepAsync());
        Assert.True(await data.BlobExistsAsync(upload));

        Assert.Equal(1, await data.ExecuteAsync("UPDATE recordings SET legal_hold = false WHERE id = @id AND status = 'failed'", new { id }));
        Assert.Equal(1, await SweepAsync());
        Assert.False(await data.BlobExistsAsync(upload));
    }

    [Fact]
    public async Task The_grace_period_is_a_setting()
    {
        var (_, id, message) = await AcceptedRecordingAsync("truncated.webm");

        await ProcessAsync(message, new Dictionary<string, string?> { ["Ingest:FailedUploadGracePeriod"] = "1.00:00:00" });

        var keptFor = await KeptForAsync(await UploadNameAsync(id));
        Assert.InRange(keptFor, TimeSpan.FromDays(1) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(1));
    }

    private Task<string> UploadNameAsync(long id)
        => data.ScalarAsync<string>("SELECT blob_name FROM recordings WHERE id = @id", new { id });

    private Task<string> FailureCodeAsync(long id)
        => data.ScalarAsync<string>("SELECT failure_code FROM recordings WHERE id = @id", new { id });

    private Task<TimeSpan> KeptForAsync(string upload) => data.ScalarAsync<TimeSpan>(
        "SELECT remove_after - now() FROM derived_blobs WHERE container = 'uploads' AND blob_name = @upload", new { upload });

    private async Task<int> SweepAsync()
    {
        await using var services = harness.Build();
        return await services.GetRequiredService<DerivedBlobs>().SweepAsync(default);
    }
}
