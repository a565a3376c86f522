using System.Security.Cryptography;
using Dapper;
using Recorder.Core.Ingest;
using Recorder.Functions.Tests.Api;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests.Ingest;

/// <summary>
/// A media URL the API handed out works until its <c>urlsExpireAt</c>, even after the seekable copy replaced the media it
/// reads: the replaced copy stays in the derived-blob ledger that long (docs/ingest.md, "Seekable copy").
/// </summary>
public sealed class ReplacedMediaUrlTests(RemuxGatedIngestTestHost ingest) : IClassFixture<RemuxGatedIngestTestHost>
{
    [Fact]
    public async Task The_first_media_url_still_plays_the_recording_after_the_seekable_copy_replaced_it()
    {
        var user = await ingest.Api.SignInNewUserAsync();
        var original = await File.ReadAllBytesAsync(TestEnvironment.MediaFixture("chrome-camera.webm"));
        var id = await ingest.UploadAsync(user, original, "camera", "video/webm;codecs=vp8,opus");
        var completed = await ingest.WaitForOutcomeAsync(user, id);
        Assert.Equal("completed", completed.GetProperty("status").GetString());
        var firstUrl = completed.GetProperty("mediaUrl").GetString()!;
        Assert.Contains("/media.webm?", firstUrl);
        Assert.True(completed.GetProperty("urlsExpireAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(10));

        ingest.Gate.Open();
        await Eventually.TrueAsync(async () =>
        {
            await using var connection = await ingest.OpenMaintenanceAsync();
            var media = await connection.ExecuteScalarAsync<string>("SELECT media_blob_name FROM recordings WHERE id = @id", new { id });
            return DerivedBlobNames.IsSeekable(media!);
        }, "the seekable copy replaces the first one");
        var after = await (await user.Client.GetAsync($"api/recordings/{id}")).AssertOkAsync();
        Assert.NotEqual(firstUrl, after.GetProperty("mediaUrl").GetString());

        using var http = new HttpClient();
        using var response = await http.GetAsync(firstUrl);
        response.EnsureSuccessStatusCode();
        Assert.Equal(SHA256.HashData(original), SHA256.HashData(await response.Content.ReadAsByteArrayAsync()));
    }
}
