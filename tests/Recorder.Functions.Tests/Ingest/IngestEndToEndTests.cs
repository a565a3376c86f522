using System.Text.Json;
using Azure.Storage.Blobs;
using Dapper;
using Recorder.Functions.Tests.Api;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests.Ingest;

/// <summary>
/// Real recordings through the whole path: upload URL, PUT to Azurite, the bridge's BlobCreated, the
/// webhook, the queue worker with ffprobe/ffmpeg, and the API's view of the result.
/// </summary>
public sealed class IngestEndToEndTests(IngestTestHost ingest) : IClassFixture<IngestTestHost>
{
    [Theory]
    [InlineData("chrome-camera.webm", "camera", "video/webm;codecs=vp8,opus", true)]
    [InlineData("moov-at-end.mp4", "screen", "video/mp4", true)]
    [InlineData("faststart.mp4", "screen-camera", "video/mp4", true)]
    [InlineData("fragmented.mp4", "camera", "video/mp4", true)]
    [InlineData("chrome-audio.webm", "audio", "audio/webm;codecs=opus", false)]
    [InlineData("audio.ogg", "audio", "audio/ogg", false)]
    [InlineData("audio.wav", "audio", "audio/wav", false)]
    [InlineData("audio.mp3", "audio", "audio/mpeg", false)]
    // Declared as the other kind: the thumbnail follows what ffprobe found, not what the upload said.
    [InlineData("chrome-audio.webm", "camera", "video/webm;codecs=vp8,opus", false)]
    [InlineData("chrome-camera.webm", "audio", "audio/webm;codecs=opus", true)]
    public async Task A_recording_completes_with_its_true_duration_and_a_thumbnail(string fixture, string recordingType, string mimeType, bool isVideo)
    {
        var user = await ingest.Api.SignInNewUserAsync();
        var content = await File.ReadAllBytesAsync(TestEnvironment.MediaFixture(fixture));

        var id = await ingest.UploadAsync(user, content, recordingType, mimeType);
        var recording = await ingest.WaitForOutcomeAsync(user, id);

        Assert.Equal("completed", recording.GetProperty("status").GetString());
        Assert.InRange((double)recording.GetProperty("duration").GetDecimal(), ExpectedDuration(fixture) - 0.1, ExpectedDuration(fixture) + 0.1);
        Assert.Equal(content.Length, recording.GetProperty("fileSize").GetInt64());
        var media = recording.GetProperty("metadata").GetProperty("media");
        Assert.Equal(isVideo, media.GetProperty("hasVideo").GetBoolean());
        using var http = new HttpClient();
        using var thumbnail = await http.GetAsync(recording.GetProperty("thumbnailUrl").GetString());
        thumbnail.EnsureSuccessStatusCode();
        Assert.Equal(isVideo ? "image/jpeg" : "image/png", thumbnail.Content.Headers.ContentType?.MediaType);
        if (isVideo)
        {
            Assert.True(media.GetProperty("width").GetInt32() > 0);
        }
        await using var connection = await ingest.OpenMaintenanceAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM audit_log WHERE recording_id = @id AND action = 'recording.ingest' AND outcome = 'success'", new { id }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM ai_generation_tasks WHERE task_type = 'transcription' AND metadata ->> 'recordingId' = @id::text", new { id }));
    }

    /// <summary>What Chromium 156 records (MediaRecorder.isTypeSupported): VP8 into WebM; H.264 and PCM into Matroska.</summary>
    [Theory]
    [InlineData("chrome-camera.webm", "camera", "video/webm;codecs=vp8,opus", ".webm", "video/webm")]
    [InlineData("chrome-h264.webm", "camera", "video/webm;codecs=h264,opus", ".mkv", "video/x-matroska")]
    [InlineData("chrome-avc1.mkv", "screen", "video/x-matroska;codecs=avc1,opus", ".mkv", "video/x-matroska")]
    [InlineData("chrome-pcm.webm", "audio", "audio/webm;codecs=pcm", ".mkv", "audio/x-matroska")]
    public async Task A_chrome_recording_gets_a_seekable_copy_that_replaces_the_upload(
        string fixture, string recordingType, string mimeType, string extension, string contentType)
    {
        var user = await ingest.Api.SignInNewUserAsync();
        var content = await File.ReadAllBytesAsync(TestEnvironment.MediaFixture(fixture));
        var id = await ingest.UploadAsync(user, content, recordingType, mimeType);
        Assert.Equal("completed", (await ingest.WaitForOutcomeAsync(user, id)).GetProperty("status").GetString());

        string? copy = null;
        await Eventually.TrueAsync(async () =>
        {
            await using var connection = await ingest.OpenMaintenanceAsync();
            copy = await connection.ExecuteScalarAsync<string?>("SELECT media_blob_name FROM recordings WHERE id = @id", new { id });
            return copy?.EndsWith("/seekable" + extension, StringComparison.Ordinal) == true;
        }, "the recording plays from its seekable copy");

        await using (var names = await ingest.OpenMaintenanceAsync())
        {
            // Under the upload's random part (not guessable from the id), in an attempt's folder of its own.
            var uploadName = (await names.ExecuteScalarAsync<string>("SELECT blob_name FROM recordings WHERE id = @id", new { id }))!;
            Assert.StartsWith(uploadName[..uploadName.LastIndexOf('.')] + "/", copy!);
        }
        var recording = await (await user.Client.GetAsync($"api/recordings/{id}")).AssertOkAsync();
        Assert.Equal("made", recording.GetProperty("metadata").GetProperty("seekableCopy").GetProperty("status").GetString());
        var mediaUrl = recording.GetProperty("mediaUrl").GetString()!;
        Assert.Contains($"/{ingest.Api.Storage.ProcessedContainer}/", mediaUrl);
        using (var http = new HttpClient())
        using (var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, mediaUrl)))
        {
            Assert.Equal(contentType, head.Content.Headers.ContentType?.MediaType);
        }
        var probe = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", mediaUrl]) { RedirectStandardOutput = true })!;
        var duration = double.Parse((await probe.StandardOutput.ReadToEndAsync()).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await probe.WaitForExitAsync();
        Assert.InRange(duration, ExpectedDuration(fixture) - 0.1, ExpectedDuration(fixture) + 0.1);
        await using var check = await ingest.OpenMaintenanceAsync();
        var upload = await check.ExecuteScalarAsync<string>("SELECT blob_name FROM recordings WHERE id = @id", new { id });
        Assert.False(await ingest.Container(ingest.Api.Storage.UploadsContainer).GetBlobClient(upload).ExistsAsync());
    }

    /// <summary>
    /// Only what cannot be played fails. Media of another kind is kept for the grace period, for support to recover; bytes
    /// that are no recording at all go at once.
    /// </summary>
    [Theory]
    [InlineData("truncated.webm", "camera", "video/webm", "corrupt_media", true)]
    [InlineData("png-named.webm", "camera", "video/webm", "unsupported_media", false)]
    [InlineData("chrome-audio.webm", "camera", "video/mp4", "unsupported_media", true)]
    public async Task Bad_files_fail_with_their_code(string fixture, string recordingType, string mimeType, string code, bool kept)
    {
        var user = await ingest.Api.SignInNewUserAsync();

        var id = await ingest.UploadAsync(user, await File.ReadAllBytesAsync(TestEnvironment.MediaFixture(fixture)), recordingType, mimeType);
        var recording = await ingest.WaitForOutcomeAsync(user, id);

        Assert.Equal("failed", recording.GetProperty("status").GetString());
        Assert.Equal(code, recording.GetProperty("failureCode").GetString());
        Assert.False(string.IsNullOrEmpty(recording.GetProperty("failureReason").GetString()));
        await using var connection = await ingest.OpenMaintenanceAsync();
        var blobName = await connection.ExecuteScalarAsync<string>("SELECT blob_name FROM recordings WHERE id = @id", new { id });
        Assert.Equal(kept, await ingest.Container(ingest.Api.Storage.UploadsContainer).GetBlobClient(blobName).ExistsAsync());
        if (kept)
        {
            Assert.InRange(await connection.ExecuteScalarAsync<TimeSpan>(
                "SELECT remove_after - now() FROM derived_blobs WHERE container = 'uploads' AND blob_name = @blobName", new { blobName }),
                TimeSpan.FromDays(6.9), TimeSpan.FromDays(7));
        }
    }

    /// <summary>A recording declared as another type of its kind is kept under its true type, served as that; audited.</summary>
    [Theory]
    [InlineData("faststart.mp4", "camera", "video/webm;codecs=vp9,opus", "video/mp4", "/media.mp4")]
    [InlineData("chrome-camera.webm", "screen", "video/mp4", "video/webm", "/media.webm")]
    [InlineData("audio.ogg", "audio", "audio/webm;codecs=opus", "audio/ogg", "/media.ogg")]
    public async Task A_recording_declared_as_another_type_of_its_kind_completes_under_its_true_type(
        string fixture, string recordingType, string declared, string mimeType, string servedAs)
    {
        var user = await ingest.Api.SignInNewUserAsync();

        var content = await File.ReadAllBytesAsync(TestEnvironment.MediaFixture(fixture));
        var id = await ingest.UploadAsync(user, content, recordingType, declared);
        var recording = await ingest.WaitForOutcomeAsync(user, id);

        Assert.Equal("completed", recording.GetProperty("status").GetString());
        Assert.Equal(mimeType, recording.GetProperty("mimeType").GetString());
        var duration = (double)recording.GetProperty("duration").GetDecimal();
        Assert.InRange(duration, ExpectedDuration(fixture) - 0.1, ExpectedDuration(fixture) + 0.1);
        var mediaUrl = recording.GetProperty("mediaUrl").GetString()!;
        Assert.Contains(servedAs + "?", mediaUrl);
        using var http = new HttpClient();
        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, mediaUrl));
        Assert.Equal(mimeType, head.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, await ingest.CountAsync("""
            SELECT count(*) FROM audit_log
            WHERE recording_id = @id AND action = 'recording.mime_type_corrected' AND details ->> 'declared' = @declared
            """, new { id, declared }));
    }

    [Fact]
    public async Task A_zero_byte_upload_fails_as_empty_and_its_blob_is_removed()
    {
        var user = await ingest.Api.SignInNewUserAsync();

        var id = await ingest.UploadAsync(user, [], "camera", "video/webm");
        var recording = await ingest.WaitForOutcomeAsync(user, id);

        Assert.Equal("empty_file", recording.GetProperty("failureCode").GetString());
        await using var connection = await ingest.OpenMaintenanceAsync();
        var blobName = await connection.ExecuteScalarAsync<string>("SELECT blob_name FROM recordings WHERE id = @id", new { id });
        Assert.False(await ingest.Container(ingest.Api.Storage.UploadsContainer).GetBlobClient(blobName).ExistsAsync());
    }

    [Fact]
    public async Task A_file_bigger_than_declared_that_overruns_the_quota_fails_and_is_removed()
    {
        var user = await ingest.Api.SignInNewUserAsync();
        await using (var connection = await ingest.OpenMaintenanceAsync())
        {
            await connection.ExecuteAsync("INSERT INTO user_storage_limits (user_id, limit_bytes) VALUES (@Id, 100000)", new { user.Id });
        }
        var content = await File.ReadAllBytesAsync(TestEnvironment.MediaFixture("chrome-camera.webm"));
        Assert.True(content.Length > 100000, "the fixture must be larger than the test's limit");

        // Declares 1 byte, uploads the whole file: the real size is checked at ingest.
        using var response = await user.Client.PostAsync("api/recordings/uploads", Api.Api.Json(new { title = "sneaky", recordingType = "camera", mimeType = "video/webm", fileSize = 1 }));
        var ticket = await response.AssertOkAsync(System.Net.HttpStatusCode.Created);
        await new Azure.Storage.Blobs.Specialized.BlockBlobClient(new Uri(ticket.GetProperty("uploadUrl").GetString()!)).UploadAsync(new MemoryStream(content));
        var id = ticket.GetProperty("recordingId").GetInt64();

        var recording = await ingest.WaitForOutcomeAsync(user, id);

        Assert.Equal("quota_exceeded", recording.GetProperty("failureCode").GetString());
        Assert.False(await ingest.Container(ingest.Api.Storage.UploadsContainer).GetBlobClient(ticket.GetProperty("blobName").GetString()).ExistsAsync());
    }

    [Fact]
    public async Task A_blob_no_recording_awaits_is_quarantined_and_audited()
    {
        var blobName = $"nobody/{Guid.NewGuid():N}.webm";
        await ingest.Container(ingest.Api.Storage.UploadsContainer).UploadBlobAsync(blobName, BinaryData.FromString("stray"));

        var quarantined = ingest.Container(ingest.Api.Storage.DeadLetterContainer).GetBlobClient($"quarantine/{blobName}");
        await Eventually.TrueAsync(async () => await quarantined.ExistsAsync() && !await ingest.Container(ingest.Api.Storage.UploadsContainer).GetBlobClient(blobName).ExistsAsync(),
            "the stray blob is moved to quarantine");
        await Eventually.TrueAsync(async () => await ingest.CountAsync("SELECT count(*) FROM audit_log WHERE action = 'blob.quarantine' AND details ->> 'blobName' = @blobName", new { blobName }) == 1,
            "the quarantine is audited");
    }

    [Fact]
    public async Task Every_status_of_an_upload_through_the_api_and_ingest_is_announced_in_order_on_the_channel_and_the_outbox()
    {
        // The main app's view (docs/notifications.md): a connection of its own that LISTENs.
        await using var listener = await ingest.OpenOwnerAsync();
        var heard = new System.Collections.Concurrent.ConcurrentQueue<string>();
        listener.Notification += (_, notification) => heard.Enqueue(notification.Payload);
        await listener.ExecuteAsync("LISTEN recorder_recording_events");
        using var stop = new CancellationTokenSource();
        var listening = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await listener.WaitAsync(stop.Token);
            }
        });
        var user = await ingest.Api.SignInNewUserAsync();
        long completed, failed;
        List<JsonElement> Heard(long id) => heard.Select(payload => JsonDocument.Parse(payload).RootElement)
            .Where(e => e.GetProperty("id").GetInt64() == id).ToList();
        try
        {
            var media = await File.ReadAllBytesAsync(TestEnvironment.MediaFixture("chrome-camera.webm"));
            completed = await ingest.UploadAsync(user, media, "camera", "video/webm;codecs=vp8,opus");
            failed = await ingest.UploadAsync(user, [], "camera", "video/webm");
            await ingest.WaitForOutcomeAsync(user, completed);
            await ingest.WaitForOutcomeAsync(user, failed);
            await Eventually.TrueAsync(() => Heard(completed).Count == 3 && Heard(failed).Count == 3, "both outcomes were heard");
        }
        finally
        {
            // The connection must stop waiting before it is disposed.
            await stop.CancelAsync();
            try
            {
                await listening;
            }
            catch (OperationCanceledException)
            {
            }
        }

        Assert.Equal(["uploading", "processing", "completed"], Heard(completed).Select(e => e.GetProperty("status").GetString()));
        Assert.Equal(["uploading", "processing", "failed"], Heard(failed).Select(e => e.GetProperty("status").GetString()));
        Assert.Equal("empty_file", Heard(failed)[^1].GetProperty("failureCode").GetString());
        Assert.All(Heard(completed).Concat(Heard(failed)), e => Assert.Equal(user.Id, e.GetProperty("userId").GetString()));
        await using var connection = await ingest.OpenMaintenanceAsync();
        var outbox = (await connection.QueryAsync<string>(
            "SELECT payload::text FROM recording_events WHERE recording_id = ANY(@ids)",
            new { ids = new[] { completed, failed } })).AsList();
        // Two recordings' changes may commit in another order than they took their sequence numbers: compared as sets.
        Assert.Equal(
            heard.Where(payload => JsonDocument.Parse(payload).RootElement.GetProperty("userId").GetString() == user.Id)
                .Order(StringComparer.Ordinal),
            outbox.Order(StringComparer.Ordinal));
    }

    private static double ExpectedDuration(string fixture)
        => double.Parse(File.ReadAllLines(TestEnvironment.MediaFixture("durations.txt"))
            .Select(line => line.Split(' ', 2))
            .Single(parts => parts[0] == fixture)[1], System.Globalization.CultureInfo.InvariantCulture);
}
