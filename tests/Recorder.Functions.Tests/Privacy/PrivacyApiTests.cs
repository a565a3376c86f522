using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Web;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Dapper;
using Recorder.Functions.Tests.Api;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests.Privacy;

/// <summary>
/// GDPR export and erasure through the dev host: the export worker on its queue, the SAS download, erasure over
/// HTTP with its worker on its queue, and a pre-erasure upload arriving after it through the event bridge, the
/// webhook and the ingest worker.
/// </summary>
public sealed class PrivacyApiTests(PrivacyTestHost host) : IClassFixture<PrivacyTestHost>
{
    [Fact]
    public async Task An_export_holds_only_the_callers_data_behind_a_short_lived_download_url()
    {
        var owner = await host.Api.SignInNewUserAsync();
        var other = await host.Api.SignInNewUserAsync();
        var ownRecording = await host.SeedCompletedRecordingAsync(owner.Id);
        var otherRecording = await host.SeedCompletedRecordingAsync(other.Id);
        await (await owner.Client.GetAsync($"api/recordings/{ownRecording}")).AssertOkAsync();
        await (await other.Client.GetAsync($"api/recordings/{otherRecording}")).AssertOkAsync();

        using var requested = await owner.Client.PostAsync("api/me/export", null);
        var pending = await requested.AssertOkAsync(HttpStatusCode.Accepted);
        var id = pending.GetProperty("id").GetInt64();
        Assert.Equal($"/api/me/exports/{id}", requested.Headers.Location?.OriginalString);
        Assert.Contains(pending.GetProperty("status").GetString(), new[] { "pending", "building" });

        var ready = await WaitForStatusAsync(owner, $"api/me/exports/{id}", "ready");
        var downloadUrl = new Uri(ready.GetProperty("downloadUrl").GetString()!);
        var urlExpiresAt = ready.GetProperty("downloadUrlExpiresAt").GetDateTimeOffset();
        var signedExpiry = DateTimeOffset.Parse(HttpUtility.ParseQueryString(downloadUrl.Query)["se"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(urlExpiresAt.ToUnixTimeSeconds(), signedExpiry.ToUnixTimeSeconds());
        Assert.InRange(urlExpiresAt, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(16));
        Assert.True(urlExpiresAt <= ready.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal("r", HttpUtility.ParseQueryString(downloadUrl.Query)["sp"]);
        // The zip's name carries a random part of its own: export ids are sequential.
        Assert.Matches($"/exports/[0-9a-f]{{32}}/{id}\\.zip$", downloadUrl.AbsolutePath);

        using var http = new HttpClient();
        var zipBytes = await http.GetByteArrayAsync(downloadUrl);
        Assert.Equal(ready.GetProperty("sizeBytes").GetInt64(), zipBytes.Length);
        using var zip = new ZipArchive(new MemoryStream(zipBytes), ZipArchiveMode.Read);
        Assert.Equal(
            new[]
            {
                "data/ai_generation_tasks.json", "data/audit_log.json", "data/content.json", "data/recording_edits.json",
                "data/recording_sessions.json", "data/recordings.json", "data/social_posts.json", "manifest.json",
                $"media/{ownRecording}/seekable.webm", $"thumbnails/{ownRecording}/thumbnail.jpg",
            },
            zip.Entries.Select(entry => entry.FullName).Order(StringComparer.Ordinal));
        Assert.Equal($"media of {owner.Id}", Read(zip, $"media/{ownRecording}/seekable.webm"));
        Assert.Equal($"thumbnail of {owner.Id}", Read(zip, $"thumbnails/{ownRecording}/thumbnail.jpg"));
        Assert.Equal([ownRecording], Rows(zip, "recordings").Select(row => row.GetProperty("id").GetInt64()));
        Assert.Equal([ownRecording], Rows(zip, "recording_sessions").Select(row => row.GetProperty("recording_id").GetInt64()));
        Assert.Equal([ownRecording], Rows(zip, "recording_edits").Select(row => row.GetProperty("recording_id").GetInt64()));
        Assert.Equal([ownRecording.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            Rows(zip, "content").Select(row => row.GetProperty("metadata").GetProperty("recordingId").ToString()));
        var audit = Rows(zip, "audit_log");
        Assert.Contains(audit, row => row.GetProperty("action").GetString() == "recording.read" && row.GetProperty("recording_id").GetInt64() == ownRecording);
        Assert.All(audit, row => Assert.Equal(owner.Id, row.GetProperty("user_id").GetString()));
        var manifest = JsonDocument.Parse(Read(zip, "manifest.json")).RootElement;
        Assert.Equal(owner.Id, manifest.GetProperty("userId").GetString());
        Assert.Equal(2, manifest.GetProperty("files").GetArrayLength());
        foreach (var entry in zip.Entries)
        {
            Assert.DoesNotContain(other.Id, Read(zip, entry.FullName), StringComparison.Ordinal);
        }

        // Someone else's export id is simply not there for them.
        await (await other.Client.GetAsync($"api/me/exports/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await other.Client.GetAsync("api/me/exports/abc")).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_second_request_while_an_export_is_in_the_making_gets_that_export()
    {
        var user = await host.Api.SignInNewUserAsync();
        long pendingId;
        await using (var connection = await host.OpenMaintenanceAsync())
        {
            pendingId = await connection.ExecuteScalarAsync<long>(
                "INSERT INTO privacy_exports (user_id, expires_at) VALUES (@Id, now() + interval '1 day') RETURNING id", new { user.Id });
        }

        var again = await (await user.Client.PostAsync("api/me/export", null)).AssertOkAsync(HttpStatusCode.Accepted);

        Assert.Equal(pendingId, again.GetProperty("id").GetInt64());
        Assert.Equal(1, await host.CountAsync("SELECT count(*) FROM privacy_exports WHERE user_id = @Id", new { user.Id }));
        Assert.Equal(JsonValueKind.Null, again.GetProperty("downloadUrl").ValueKind);
    }

    [Fact]
    public async Task Erasure_answers_202_with_a_status_url_at_once_then_its_worker_removes_the_callers_rows_and_blobs_and_leaves_others_alone()
    {
        var user = await host.Api.SignInNewUserAsync();
        var other = await host.Api.SignInNewUserAsync();
        var erased = await host.SeedCompletedRecordingAsync(user.Id);
        var kept = await host.SeedCompletedRecordingAsync(other.Id);
        await host.Container(host.Api.Storage.ProcessedContainer).GetBlobClient($"{user.Id}/{erased}/seekable.webm").CreateSnapshotAsync();
        await (await user.Client.GetAsync($"api/recordings/{erased}")).AssertOkAsync();

        using var response = await user.Client.DeleteAsync("api/me/recordings-data");
        var accepted = await response.AssertOkAsync(HttpStatusCode.Accepted);

        // At once: the receipt and where to follow it; the recording is gone for the API already.
        var erasureId = accepted.GetProperty("erasureId").GetInt64();
        var statusUrl = accepted.GetProperty("statusUrl").GetString();
        Assert.Equal($"/api/me/erasures/{erasureId}", statusUrl);
        Assert.Equal(statusUrl, response.Headers.Location?.OriginalString);
        Assert.Contains(accepted.GetProperty("status").GetString(), new[] { "pending", "finishing", "completed" });
        await (await user.Client.GetAsync($"api/recordings/{erased}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await other.Client.GetAsync($"api/me/erasures/{erasureId}")).AssertProblemAsync(HttpStatusCode.NotFound);

        // The queue worker does the rest.
        var receipt = await WaitForStatusAsync(user, $"api/me/erasures/{erasureId}", "completed");
        Assert.Equal(statusUrl, receipt.GetProperty("statusUrl").GetString());
        await (await other.Client.GetAsync($"api/me/erasures/{erasureId}")).AssertProblemAsync(HttpStatusCode.NotFound);
        var counts = receipt.GetProperty("counts");
        Assert.Equal((1, 1, 1, 1), (counts.GetProperty("recordings").GetInt32(), counts.GetProperty("sessions").GetInt32(), counts.GetProperty("edits").GetInt32(), counts.GetProperty("releasedContent").GetInt32()));
        Assert.Equal(1, counts.GetProperty("snapshots").GetInt32());
        Assert.DoesNotContain(user.Id, receipt.GetRawText(), StringComparison.Ordinal);
        Assert.Empty(await host.BlobsAsync(host.Api.Storage.ProcessedContainer, $"{user.Id}/"));
        Assert.Empty(await host.BlobsAsync(host.Api.Storage.ThumbnailsContainer, $"{user.Id}/"));
        Assert.Equal(0, await host.CountAsync("SELECT count(*) FROM recordings WHERE user_id = @Id", new { user.Id }));
        Assert.Equal(0, await host.CountAsync("SELECT count(*) FROM audit_log WHERE user_id = @Id OR actor_id = @Id OR details::text LIKE '%' || @Id || '%'", new { user.Id }));
        Assert.Equal(1, await host.CountAsync("SELECT count(*) FROM audit_log WHERE action = 'privacy.erasure' AND user_id IS NULL AND details ->> 'subjectHash' = @Hash",
            new { Hash = receipt.GetProperty("subjectHash").GetString() }));
        await (await user.Client.GetAsync($"api/recordings/{erased}")).AssertProblemAsync(HttpStatusCode.NotFound);

        await (await other.Client.GetAsync($"api/recordings/{kept}")).AssertOkAsync();
        Assert.Equal(2, (await host.BlobsAsync(host.Api.Storage.ProcessedContainer, $"{other.Id}/")).Count + (await host.BlobsAsync(host.Api.Storage.ThumbnailsContainer, $"{other.Id}/")).Count);
        Assert.Equal(1, await host.CountAsync("SELECT count(*) FROM recording_sessions WHERE user_id = @Id", new { other.Id }));
        Assert.Equal(1, await host.CountAsync("SELECT count(*) FROM recording_edits WHERE user_id = @Id", new { other.Id }));
    }

    [Theory]
    [InlineData("user")]
    [InlineData("recording")]
    public async Task Erasure_under_a_legal_hold_is_409_and_changes_nothing(string hold)
    {
        var user = await host.Api.SignInNewUserAsync();
        var id = await host.SeedCompletedRecordingAsync(user.Id);
        await using (var connection = await host.OpenMaintenanceAsync())
        {
            await connection.ExecuteAsync(hold == "user"
                ? "INSERT INTO user_legal_holds (user_id, reason) VALUES (@UserId, 'litigation 7')"
                : "UPDATE recordings SET legal_hold = true WHERE id = @RecordingId", new { UserId = user.Id, RecordingId = id });
        }

        var problem = await (await user.Client.DeleteAsync("api/me/recordings-data")).AssertProblemAsync(HttpStatusCode.Conflict);

        Assert.Contains("legal hold", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("Art. 17(3)(e)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(hold, problem.GetProperty("legalHold").GetString());
        Assert.DoesNotContain("litigation", problem.GetRawText(), StringComparison.Ordinal);
        await (await user.Client.GetAsync($"api/recordings/{id}")).AssertOkAsync();
        Assert.Equal(2, (await host.BlobsAsync(host.Api.Storage.ProcessedContainer, $"{user.Id}/")).Count + (await host.BlobsAsync(host.Api.Storage.ThumbnailsContainer, $"{user.Id}/")).Count);
        Assert.Equal(0, await host.CountAsync("SELECT count(*) FROM privacy_erasures WHERE user_id = @Id", new { user.Id }));
        Assert.Equal(1, await host.CountAsync("SELECT count(*) FROM recording_sessions WHERE user_id = @Id", new { user.Id }));
        Assert.Equal(1, await host.CountAsync("SELECT count(*) FROM recording_edits WHERE user_id = @Id", new { user.Id }));
        Assert.Equal(1, await host.CountAsync("SELECT count(*) FROM content WHERE user_id = @Id AND video_url IS NOT NULL", new { user.Id }));
        Assert.Equal(1, await host.CountAsync(
            "SELECT count(*) FROM audit_log WHERE action = 'privacy.erasure' AND outcome = 'rejected' AND actor_type = 'user' AND actor_id = @Id AND user_id = @Id", new { user.Id }));
    }

    [Fact]
    public async Task An_upload_url_issued_before_the_erasure_brings_nothing_back_and_the_user_can_record_again()
    {
        var user = await host.Api.SignInNewUserAsync();
        var media = await File.ReadAllBytesAsync(TestEnvironment.MediaFixture("chrome-camera.webm"));
        var ticket = await (await user.Client.PostAsync("api/recordings/uploads", Api.Api.Json(new
        {
            title = "Before the erasure",
            recordingType = "camera",
            mimeType = "video/webm",
            fileSize = media.Length,
        }))).AssertOkAsync(HttpStatusCode.Created);
        var lateId = ticket.GetProperty("recordingId").GetInt64();
        var lateBlobName = ticket.GetProperty("blobName").GetString()!;

        var accepted = await (await user.Client.DeleteAsync("api/me/recordings-data")).AssertOkAsync(HttpStatusCode.Accepted);
        var receipt = await WaitForStatusAsync(user, $"api/me/erasures/{accepted.GetProperty("erasureId").GetInt64()}", "completed");
        Assert.Equal(1, receipt.GetProperty("counts").GetProperty("recordings").GetInt32());
        await (await user.Client.PostAsync($"api/recordings/{lateId}/upload-url", null)).AssertProblemAsync(HttpStatusCode.NotFound);

        // The URL is still valid: the upload lands, the bridge posts BlobCreated, ingest finds no row and an erased owner.
        await new BlockBlobClient(new Uri(ticket.GetProperty("uploadUrl").GetString()!)).UploadAsync(new MemoryStream(media));
        await Eventually.TrueAsync(async () => await host.CountAsync("SELECT count(*) FROM audit_log WHERE action = 'blob.erased_late'", new { }) >= 1
            && !await host.Container(host.Api.Storage.UploadsContainer).GetBlobClient(lateBlobName).ExistsAsync(), "the late upload is deleted as an erased user's", TimeSpan.FromSeconds(60));
        Assert.Empty(await host.BlobsAsync(host.Api.Storage.DeadLetterContainer, ""));
        Assert.Equal(0, await host.CountAsync("SELECT count(*) FROM recordings WHERE user_id = @Id", new { user.Id }));
        Assert.Equal(0, await host.CountAsync("SELECT count(*) FROM audit_log WHERE details::text LIKE '%' || @Id || '%'", new { user.Id }));

        var again = await host.UploadAsync(user, media, "camera", "video/webm");
        Assert.Equal("completed", (await host.WaitForOutcomeAsync(user, again)).GetProperty("status").GetString());
    }

    /// <summary>Polls a status route as the user until it answers <paramref name="status"/>; fails after the timeout.</summary>
    private static async Task<JsonElement> WaitForStatusAsync(TestUser user, string path, string status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var found = await (await user.Client.GetAsync(path)).AssertOkAsync();
            if (found.GetProperty("status").GetString() == status)
            {
                return found;
            }
            Assert.True(DateTime.UtcNow < deadline, $"{path} still '{found.GetProperty("status").GetString()}' after the timeout");
            await Task.Delay(200);
        }
    }

    private static string Read(ZipArchive zip, string path)
    {
        using var reader = new StreamReader(zip.GetEntry(path)!.Open(), Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static List<JsonElement> Rows(ZipArchive zip, string table)
        => [.. JsonDocument.Parse(Read(zip, $"data/{table}.json")).RootElement.EnumerateArray().Select(row => row.Clone())];
}
