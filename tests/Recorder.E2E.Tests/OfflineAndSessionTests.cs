using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using Microsoft.Playwright;
using Recorder.Testing;
using Recorder.Testing.Media;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Recorder.E2E.Tests;

/// <summary>Recordings made offline (kept in IndexedDB, exported, uploaded later) and recording sessions.</summary>
[Collection(E2ECollection.Name)]
public sealed class OfflineAndSessionTests(E2EHost host)
{
    // The page times a recording from MediaRecorder.start() to stop(); the media runs from its first frame to the
    // last: they differ by how late the first frame came and the last one went, not by how late a timer fired.
    private const double PageClockTolerance = 0.5;

    [Fact]
    public async Task A_recording_made_offline_stays_on_the_device_exports_and_uploads_when_back_online()
    {
        await using var page = await RecorderPage.OpenAsync(host);
        await page.Context.SetOfflineAsync(true);

        await page.RecordAsync("audio", 5, "Recorded on a train");
        await page.WaitUntilStoppedAsync(5);
        await Expect(page.LocalEntries).ToHaveCountAsync(1);
        await Expect(page.LocalEntries.Locator(".local-state")).ToHaveTextAsync("Waiting for the network");
        await page.ScreenshotAsync("kept-offline");

        var download = await page.Page.RunAndWaitForDownloadAsync(() => page.Page.GetByRole(AriaRole.Button, new() { Name = "Export" }).ClickAsync());
        var zipPath = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.zip");
        var mediaPath = Path.ChangeExtension(zipPath, ".webm");
        await download.SaveAsAsync(zipPath);
        try
        {
            using var zip = ZipFile.OpenRead(zipPath);
            using var manifest = JsonDocument.Parse(zip.GetEntry("manifest.json")!.Open());
            Assert.Equal(1, manifest.RootElement.GetProperty("version").GetInt32());
            var recording = manifest.RootElement.GetProperty("recordings").EnumerateArray().Single();
            Assert.Equal("Recorded on a train", recording.GetProperty("title").GetString());
            Assert.Equal("audio", recording.GetProperty("recordingType").GetString());
            Assert.StartsWith("audio/webm", recording.GetProperty("mimeType").GetString());
            Assert.True(DateTimeOffset.TryParse(recording.GetProperty("createdAt").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
            var fileName = recording.GetProperty("fileName").GetString()!;
            Assert.Equal($"files/{recording.GetProperty("localId").GetString()}.webm", fileName);
            using var file = new MemoryStream();
            await using (var entry = zip.GetEntry(fileName)!.Open())
            {
                await entry.CopyToAsync(file);
            }
            Assert.Equal(file.Length, recording.GetProperty("sizeBytes").GetInt64());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(file.ToArray())), recording.GetProperty("sha256").GetString());
            // The page's duration is its own clock between start and stop: the media it got lasts about as long.
            await File.WriteAllBytesAsync(mediaPath, file.ToArray());
            var media = (await MediaTools.PacketEndAsync(mediaPath)).TotalSeconds;
            Assert.True(media > 2, $"the media lasts {media} s");
            Assert.InRange(recording.GetProperty("durationSeconds").GetDouble(), media - PageClockTolerance, media + PageClockTolerance);
        }
        finally
        {
            File.Delete(zipPath);
            File.Delete(mediaPath);
        }

        await page.Context.SetOfflineAsync(false);
        var id = await page.WaitForOutcomeAsync();
        await Expect(page.Page.Locator("#local")).ToBeHiddenAsync();
        await page.ScreenshotAsync("uploaded-when-online");
        Assert.Equal("Recorded on a train", await host.QuerySingleAsync<string>("SELECT title FROM recordings WHERE id = @id AND status = 'completed'", new { id }));
    }

    [Fact]
    public async Task A_recording_session_is_completed_and_linked_or_interrupted_when_the_tab_closes()
    {
        await using var page = await RecorderPage.OpenAsync(host);
        await page.RecordAsync("camera", 5, "With a session");
        await page.WaitUntilStoppedAsync(5);
        var id = await page.WaitForOutcomeAsync();

        await page.RecordAsync("camera", 0, "Abandoned");
        await page.ScreenshotAsync("recording-before-close");
        await page.Page.CloseAsync(new() { RunBeforeUnload = false });

        await Eventually.TrueAsync(
            async () => await host.QuerySingleAsync<int>("SELECT count(*)::int FROM recording_sessions WHERE user_id = @UserId AND status = 'interrupted'", new { page.UserId }) == 1,
            "the closed tab's session is interrupted");
        await using var connection = await host.OpenMaintenanceAsync();
        var sessions = (await connection.QueryAsync<(string Status, long? RecordingId, decimal? Duration, string? ErrorCode)>(
            "SELECT status, recording_id, duration, error_code FROM recording_sessions WHERE user_id = @UserId ORDER BY started_at", new { page.UserId })).ToList();
        Assert.Equal(2, sessions.Count);
        Assert.Equal(("completed", (long?)id), (sessions[0].Status, sessions[0].RecordingId));
        // The session's duration is the page's clock: about what MediaRecorder produced for the linked recording.
        var media = await host.MediaDurationAsync(id);
        Assert.InRange((double)sessions[0].Duration!.Value, media - PageClockTolerance, media + PageClockTolerance);
        Assert.Equal(("interrupted", "tab_closed"), (sessions[1].Status, sessions[1].ErrorCode));
    }
}
