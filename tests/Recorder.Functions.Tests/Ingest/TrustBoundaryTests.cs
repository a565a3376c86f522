using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Dapper;
using Recorder.Functions.Tests.Api;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests.Ingest;

/// <summary>
/// What a browser can do with the URLs it was handed, against the real path (dev host, its event bridge, the
/// queue workers, Azurite, ffmpeg): only its own upload counts as an upload, and nothing it can write reaches
/// a recording once that has left 'uploading'. (A delete's race with ingest: Recorder.Core.Tests IngestRaceTests.)
/// </summary>
public sealed class TrustBoundaryTests(IngestTestHost ingest) : IClassFixture<IngestTestHost>
{
    [Theory]
    [InlineData("the victim's served media")]
    [InlineData("the victim's upload blob")]
    public async Task A_copy_of_another_users_blob_through_an_upload_url_fails_and_serves_nothing_of_theirs(string source)
    {
        await using var host = await GatedIngestTestHost.StartAsync();
        var victim = await host.Api.SignInNewUserAsync();
        var attacker = await host.Api.SignInNewUserAsync();
        var victimBytes = await File.ReadAllBytesAsync(TestEnvironment.MediaFixture("audio.ogg"));
        var victimId = await host.UploadAsync(victim, victimBytes, "audio", "audio/ogg");
        string sourceUrl;
        if (source == "the victim's upload blob")
        {
            // The victim's ingest is held at its probe, so the upload blob is still there to copy.
            await host.Gate.WaitForCallAsync();
            sourceUrl = host.Container(host.Api.Storage.UploadsContainer).GetBlobClient(await BlobNameAsync(host, victimId, "blob_name")).Uri.ToString();
        }
        else
        {
            host.Gate.Open();
            Assert.Equal("completed", (await host.WaitForOutcomeAsync(victim, victimId)).GetProperty("status").GetString());
            sourceUrl = host.Container(host.Api.Storage.ProcessedContainer).GetBlobClient(await BlobNameAsync(host, victimId, "media_blob_name")).Uri.ToString();
        }

        var ticket = await CreateUploadAsync(attacker, "audio", "audio/ogg", victimBytes.Length);
        // x-ms-copy-source on the upload URL; a write-only URL cannot read the copy's progress, and a copy within the
        // account is done when storage answers.
        await new BlobClient(new Uri(ticket.GetProperty("uploadUrl").GetString()!)).StartCopyFromUriAsync(new Uri(sourceUrl));
        var attackerId = ticket.GetProperty("recordingId").GetInt64();
        host.Gate.Open();

        var outcome = await host.WaitForOutcomeAsync(attacker, attackerId);
        Assert.Equal(("failed", "unsupported_upload"), (outcome.GetProperty("status").GetString(), outcome.GetProperty("failureCode").GetString()));
        Assert.Equal(JsonValueKind.Null, outcome.GetProperty("mediaUrl").ValueKind);
        Assert.Equal(JsonValueKind.Null, outcome.GetProperty("thumbnailUrl").ValueKind);
        var attackerBlob = host.Container(host.Api.Storage.UploadsContainer).GetBlobClient(ticket.GetProperty("blobName").GetString());
        await Eventually.TrueAsync(async () => !await attackerBlob.ExistsAsync(), "the copied blob is removed");
        Assert.Equal(1, await host.CountAsync(
            "SELECT count(*) FROM audit_log WHERE recording_id = @attackerId AND action = 'recording.ingest' AND outcome = 'failed' AND details ->> 'code' = 'unsupported_upload'",
            new { attackerId }));
        // The victim's own recording is untouched.
        Assert.Equal("completed", (await host.WaitForOutcomeAsync(victim, victimId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_old_upload_url_cannot_change_what_a_completed_recording_serves()
    {
        var user = await ingest.Api.SignInNewUserAsync();
        var original = await File.ReadAllBytesAsync(TestEnvironment.MediaFixture("audio.ogg"));
        var ticket = await CreateUploadAsync(user, "audio", "audio/ogg", original.Length);
        var id = ticket.GetProperty("recordingId").GetInt64();
        var uploadUrl = new BlockBlobClient(new Uri(ticket.GetProperty("uploadUrl").GetString()!));
        await uploadUrl.UploadAsync(new MemoryStream(original));
        var completed = await ingest.WaitForOutcomeAsync(user, id);
        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.Equal(SHA256.HashData(original), await DownloadHashAsync(completed.GetProperty("mediaUrl").GetString()!));

        // The same URL, still valid, writes another file over the upload.
        var other = await File.ReadAllBytesAsync(TestEnvironment.MediaFixture("chrome-audio.webm"));
        var rewrite = await uploadUrl.UploadAsync(new MemoryStream(other));
        Assert.Equal(201, rewrite.GetRawResponse().Status);
        await Eventually.TrueAsync(async () => await ingest.CountAsync(
            "SELECT count(*) FROM audit_log WHERE recording_id = @id AND action = 'recording.blob_rewritten'", new { id }) == 1, "ingest sees the rewrite");

        var after = await (await user.Client.GetAsync($"api/recordings/{id}")).AssertOkAsync();
        Assert.Equal(SHA256.HashData(original), await DownloadHashAsync(after.GetProperty("mediaUrl").GetString()!));
        Assert.Equal(completed.GetProperty("duration").GetDecimal(), after.GetProperty("duration").GetDecimal());
        Assert.Equal(completed.GetProperty("fileSize").GetInt64(), after.GetProperty("fileSize").GetInt64());
        var uploadBlob = ingest.Container(ingest.Api.Storage.UploadsContainer).GetBlobClient(ticket.GetProperty("blobName").GetString());
        await Eventually.TrueAsync(async () => !await uploadBlob.ExistsAsync(), "the rewritten upload, of use to nobody, is removed");
    }

    private async Task<JsonElement> CreateUploadAsync(TestUser user, string recordingType, string mimeType, long fileSize)
    {
        using var response = await user.Client.PostAsync("api/recordings/uploads", Api.Api.Json(new { title = "Trust", recordingType, mimeType, fileSize }));
        return await response.AssertOkAsync(HttpStatusCode.Created);
    }

    private static async Task<string> BlobNameAsync(IngestTestHost host, long id, string column)
    {
        await using var connection = await host.OpenMaintenanceAsync();
        return (await connection.ExecuteScalarAsync<string>($"SELECT {column} FROM recordings WHERE id = @id", new { id }))!;
    }

    private static async Task<byte[]> DownloadHashAsync(string url)
    {
        using var client = new HttpClient();
        return SHA256.HashData(await client.GetByteArrayAsync(url));
    }
}
