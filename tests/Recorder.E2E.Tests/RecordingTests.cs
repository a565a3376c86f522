using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Recorder.E2E.Tests;

/// <summary>Recording in the page with Chromium's fake camera and microphone, through upload and ingest.</summary>
[Collection(E2ECollection.Name)]
public sealed class RecordingTests(E2EHost host)
{
    [Fact]
    public async Task Five_seconds_of_camera_complete_with_their_duration_thumbnail_and_row()
    {
        await using var page = await RecorderPage.OpenAsync(host);
        await page.ScreenshotAsync("signed-in");

        await page.RecordAsync("camera", 5, "Camera take");
        await Expect(page.Page.Locator("#timer")).Not.ToHaveTextAsync("00:00");
        await page.ScreenshotAsync("recording");
        await page.WaitUntilStoppedAsync(5);
        var id = await page.WaitForOutcomeAsync();
        await page.ScreenshotAsync("completed");

        var thumbnail = page.Page.Locator("#result-thumb");
        await Expect(thumbnail).ToBeVisibleAsync();
        await Expect(thumbnail).ToHaveJSPropertyAsync("complete", true);
        Assert.True(await thumbnail.EvaluateAsync<int>("img => img.naturalWidth") > 0, "the thumbnail image did not load");
        var row = await host.QuerySingleAsync<RecordingRow>(
            RecordingRow.Sql,
            new { id });
        Assert.Equal(page.UserId, row.UserId);
        Assert.Equal("completed", row.Status);
        Assert.Equal("camera", row.RecordingType);
        Assert.Equal("Camera take", row.Title);
        Assert.StartsWith("video/webm", row.MimeType);
        Assert.NotNull(row.ThumbnailBlobName);
        await AssertDurationIsTheMediasAsync(id, row.Duration);
        Assert.True(row.FileSize > E2EHost.MaxSingleUploadBytes, $"{row.FileSize} bytes went up in one PUT; the test wants blocks");
        // The page shows what the row says.
        await Expect(page.Page.Locator("#result-duration")).ToHaveTextAsync($"{row.Duration!.Value:0.0} s");
        await Expect(page.Page.Locator("#result-resolution")).ToHaveTextAsync($"{row.Width} × {row.Height}");
        await Expect(page.Item(id)).ToBeVisibleAsync();
        page.AssertNoErrors();
    }

    [Fact]
    public async Task Audio_only_gets_a_waveform_thumbnail_and_its_duration()
    {
        await using var page = await RecorderPage.OpenAsync(host);

        await page.RecordAsync("audio", 5, "Voice memo");
        await page.ScreenshotAsync("recording-audio");
        await page.WaitUntilStoppedAsync(5);
        var id = await page.WaitForOutcomeAsync();
        await page.ScreenshotAsync("completed");

        var thumbnail = page.Page.Locator("#result-thumb");
        // The page sets the image's URL with the outcome; the picture itself arrives a moment later.
        var loaded = await page.Page.WaitForFunctionAsync(
            "() => { const img = document.querySelector('#result-thumb'); return img && img.complete && img.naturalWidth > 0; }",
            null, new() { Timeout = 10_000 }).ContinueWith(wait => wait.IsCompletedSuccessfully, TaskScheduler.Default);
        Assert.True(loaded, "the waveform did not load");
        using var http = new HttpClient();
        using var image = await http.GetAsync(await thumbnail.GetAttributeAsync("src"));
        Assert.Equal("image/png", image.Content.Headers.ContentType?.MediaType);
        var row = await host.QuerySingleAsync<RecordingRow>(
            RecordingRow.Sql,
            new { id });
        Assert.Equal("audio", row.RecordingType);
        Assert.StartsWith("audio/", row.MimeType);
        await AssertDurationIsTheMediasAsync(id, row.Duration);
        await Expect(page.Page.Locator("#result-resolution")).ToHaveTextAsync("Audio only");
        // The list shows the row's duration in whole seconds, rounded as the page rounds (half up).
        var seconds = (int)Math.Round(row.Duration!.Value, MidpointRounding.AwayFromZero);
        await Expect(page.Item(id).Locator(".duration")).ToHaveTextAsync($"{seconds / 60}:{seconds % 60:00}");
        page.AssertNoErrors();
    }

    [Fact]
    public async Task Screen_and_camera_record_as_one_composited_video()
    {
        await using var page = await RecorderPage.OpenAsync(host);

        await page.RecordAsync("screen-camera", 5, "Demo with me in the corner");
        await page.ScreenshotAsync("recording-screen-camera");
        await page.WaitUntilStoppedAsync(5);
        var id = await page.WaitForOutcomeAsync();
        await page.ScreenshotAsync("completed");

        var row = await host.QuerySingleAsync<RecordingRow>(RecordingRow.Sql, new { id });
        Assert.Equal("screen-camera", row.RecordingType);
        await AssertDurationIsTheMediasAsync(id, row.Duration);
        // The canvas takes the size of the screen's frames, whatever the camera's.
        var screen = await page.EvaluateAsync<int[]>("""
            async () => {
              const video = document.createElement('video');
              video.muted = true;
              video.srcObject = await navigator.mediaDevices.getDisplayMedia({ video: true });
              await video.play();
              video.srcObject.getTracks().forEach((track) => track.stop());
              return [video.videoWidth, video.videoHeight];
            }
            """);
        Assert.Equal((screen[0], screen[1]), (row.Width, row.Height));
        page.AssertNoErrors();
    }

    // Ingest's duration is where the media MediaRecorder produced ends (within a frame or two), whatever the
    // wall clock did; and the media holds most of the 5 s asked for: something was recorded.
    private async Task AssertDurationIsTheMediasAsync(long id, decimal? duration)
    {
        var media = await host.MediaDurationAsync(id);
        Assert.True(media > 2, $"the media lasts {media} s");
        Assert.NotNull(duration);
        Assert.InRange((double)duration.Value, media - 0.1, media + 0.1);
    }

    private sealed record RecordingRow(string UserId, string Status, string RecordingType, decimal? Duration, long FileSize, string MimeType, string Title, string? ThumbnailBlobName, int? Width, int? Height)
    {
        public const string Sql = """
            SELECT user_id AS UserId, status AS Status, recording_type AS RecordingType, duration AS Duration, file_size AS FileSize,
                   mime_type AS MimeType, title AS Title, thumbnail_blob_name AS ThumbnailBlobName,
                   (metadata -> 'media' ->> 'width')::int AS Width, (metadata -> 'media' ->> 'height')::int AS Height
            FROM recordings WHERE id = @id
            """;
    }
}
