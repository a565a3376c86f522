using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Recorder.Testing.Media;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Recorder.E2E.Tests;

/// <summary>
/// Slides and slides + camera recordings in the page: the chosen images drawn on a canvas and recorded with the
/// microphone, next/previous with the buttons and the arrow keys, and the slide timeline on the recording's clock.
/// </summary>
[Collection(E2ECollection.Name)]
public sealed class SlidesTests(E2EHost host)
{
    // How far a timeline entry may lie from where the recorded media shows the change: the first frame comes a little after
    // MediaRecorder.start(), the changed canvas in the next frame (1/30 s).
    private const double ClockTolerance = 0.3;

    // Solid, bright and far apart in chroma, so every frame and the thumbnail say which slide they show; none green, the
    // colour of Chromium's fake camera.
    private static readonly Slide[] Deck =
    [
        new("1-intro.png", 220, 40, 40),
        new("2-agenda.png", 40, 70, 220),
        new("3-demo.png", 200, 40, 200),
    ];

    [Fact]
    public async Task Three_slides_with_two_changes_record_the_canvas_with_a_timeline_on_the_recordings_clock()
    {
        await using var page = await RecorderPage.OpenAsync(host);
        await ChooseSlidesAsync(page, "slides");

        await page.RecordAsync("slides", 5, "Talk");
        var canvas = await page.EvaluateAsync<int[]>(
            "() => { const c = document.querySelector('#stage canvas.slide-canvas'); return [c.width, c.height]; }");
        await Expect(page.Page.Locator("#slide-position")).ToHaveTextAsync("Slide 1 of 3 · 1-intro.png");
        await RecorderPage.WaitForTimerAsync(page.Page, 1, 15_000);
        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Next" }).ClickAsync();
        await Expect(page.Page.Locator("#slide-position")).ToHaveTextAsync("Slide 2 of 3 · 2-agenda.png");
        await page.ScreenshotAsync("second-slide");
        await RecorderPage.WaitForTimerAsync(page.Page, 3, 15_000);
        await page.Page.Keyboard.PressAsync("ArrowRight");
        await Expect(page.Page.Locator("#slide-position")).ToHaveTextAsync("Slide 3 of 3 · 3-demo.png");
        await page.WaitUntilStoppedAsync(5);
        var id = await page.WaitForOutcomeAsync();
        await page.ScreenshotAsync("completed");

        var recording = await GetRecordingAsync(page, id);
        Assert.Equal(("slides", "completed"),
            (recording.GetProperty("recordingType").GetString(), recording.GetProperty("status").GetString()));
        var media = recording.GetProperty("metadata").GetProperty("media");
        Assert.Equal((canvas[0], canvas[1]), (media.GetProperty("width").GetInt32(), media.GetProperty("height").GetInt32()));
        Assert.True(media.GetProperty("hasAudio").GetBoolean(), "the microphone is recorded");

        var entries = Entries(recording.GetProperty("metadata").GetProperty("slides"));
        Assert.Equal([(0, "1-intro.png"), (1, "2-agenda.png"), (2, "3-demo.png")], entries.Select(entry => (entry.Index, entry.FileName)));
        Assert.Equal(0, entries[0].Start);
        // The test pressed once the page's own clock had passed 1 s and 3 s of recording.
        Assert.True(entries[1].Start >= 1 && entries[2].Start >= 3 && entries[2].Start > entries[1].Start, string.Join(", ", entries));
        // Untrimmed, the effective timeline is the recorded one.
        Assert.Equal(entries.Select(entry => entry.Start), Entries(recording.GetProperty("slides")).Select(entry => entry.Start));

        // The recording's own clock is its media: each change is where the frames change colour.
        var file = Path.GetTempFileName();
        try
        {
            await host.DownloadMediaAsync(id, file);
            var frames = (await MediaTools.FrameColoursAsync(file)).Select(frame => (frame.Time, Slide: Nearest(frame))).ToList();
            Assert.Equal(0, frames[0].Slide);
            foreach (var (entry, slide) in entries.Select((entry, slide) => (entry, slide)).Skip(1))
            {
                var shown = frames.First(frame => frame.Slide == slide).Time;
                Assert.True(Math.Abs(entry.Start - shown) <= ClockTolerance,
                    $"slide {slide}: the timeline says {entry.Start} s, the media shows it from {shown} s");
            }
        }
        finally
        {
            File.Delete(file);
        }

        // Uniform slides leave ingest the first frame for a thumbnail: the first slide, never a black start.
        var thumbnail = await ThumbnailColoursAsync(recording, "iw/2:ih/2:iw/4:ih/4");
        Assert.True(thumbnail.Y > 40, $"the thumbnail is dark: {thumbnail}");
        Assert.Equal(0, Nearest(thumbnail));

        // The player's chapters follow a trim: from 2 s on, agenda opens the recording and intro is gone.
        await page.Item(id).GetByRole(AriaRole.Button, new() { Name = "Play & trim" }).ClickAsync();
        var chapters = page.Page.Locator("#editor-chapters li");
        await Expect(chapters).ToHaveTextAsync([new Regex("^0:00 · 1-intro.png$"), new Regex("2-agenda.png$"), new Regex("3-demo.png$")]);
        await page.Page.Locator("#editor").GetByLabel("Start (s)").FillAsync("2");
        await page.Page.Locator("#editor").GetByRole(AriaRole.Button, new() { Name = "Apply trim" }).ClickAsync();
        // The edit ends in the trimmed state or in the error the page shows; a failure names which.
        var editorError = page.Page.Locator("#editor-error");
        await Expect(page.Page.Locator("#trim-state").Filter(new() { HasTextRegex = new Regex("^Trimmed to") })
            .Or(editorError.Filter(new() { HasTextRegex = new Regex(".") }))).ToBeVisibleAsync(new() { Timeout = 30000 });
        Assert.Equal("", await editorError.TextContentAsync());
        await Expect(chapters).ToHaveTextAsync([new Regex("^0:00 · 2-agenda.png$"), new Regex("3-demo.png$")]);
        await page.ScreenshotAsync("trimmed-chapters");
        var trimmed = Entries((await GetRecordingAsync(page, id)).GetProperty("slides"));
        Assert.Equal([(1, 0), (2, Math.Round(entries[2].Start - 2, 3))], trimmed.Select(entry => (entry.Index, Math.Round(entry.Start, 3))));
        page.AssertNoErrors();
    }

    [Fact]
    public async Task Slides_and_camera_record_the_camera_in_a_corner_and_the_timeline_stays_with_the_recording_offline()
    {
        await using var page = await RecorderPage.OpenAsync(host);
        await ChooseSlidesAsync(page, "slides-camera");
        await page.Context.SetOfflineAsync(true);

        await page.RecordAsync("slides-camera", 5, "Talk with me in the corner");
        await RecorderPage.WaitForTimerAsync(page.Page, 1, 15_000);
        await page.Page.Keyboard.PressAsync("ArrowRight");
        await Expect(page.Page.Locator("#slide-position")).ToHaveTextAsync("Slide 2 of 3 · 2-agenda.png");
        await page.ScreenshotAsync("slide-with-camera");
        await page.WaitUntilStoppedAsync(5);

        // Kept in the browser until the upload: the timeline with it, and in an export.
        var kept = await page.EvaluateAsync<JsonElement>(
            "async () => (await new (await import('/recorder-client.js')).LocalRecordings().list())[0].slides");
        Assert.True(kept.ValueKind == JsonValueKind.Object, "the recording kept in the browser has no slide timeline");
        Assert.Equal([0, 1], Entries(kept).Select(entry => entry.Index));
        var download = await page.Page.RunAndWaitForDownloadAsync(
            () => page.Page.GetByRole(AriaRole.Button, new() { Name = "Export" }).ClickAsync());
        var zipPath = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.zip");
        await download.SaveAsAsync(zipPath);
        try
        {
            using var zip = ZipFile.OpenRead(zipPath);
            using var manifest = JsonDocument.Parse(zip.GetEntry("manifest.json")!.Open());
            Assert.Equal(Entries(kept), Entries(manifest.RootElement.GetProperty("recordings")[0].GetProperty("slides")));
        }
        finally
        {
            File.Delete(zipPath);
        }

        await page.Context.SetOfflineAsync(false);
        var id = await page.WaitForOutcomeAsync();
        var recording = await GetRecordingAsync(page, id);
        Assert.Equal("slides-camera", recording.GetProperty("recordingType").GetString());
        Assert.Equal(Entries(kept), Entries(recording.GetProperty("metadata").GetProperty("slides")));
        Assert.True(recording.GetProperty("metadata").GetProperty("media").GetProperty("hasAudio").GetBoolean());

        // Both in one picture: a slide in the middle, the fake camera in the lower right corner (the page draws it a
        // quarter of the width wide, 1/40 of the width from the edges).
        var slide = await ThumbnailColoursAsync(recording, "iw/2:ih/2:iw/8:ih/4");
        var corner = await ThumbnailColoursAsync(recording, "iw/10:ih/10:iw*0.82:ih*0.82");
        Assert.True(Nearest(slide) is 0 or 1, $"the middle shows no slide: {slide}");
        Assert.NotEqual(Nearest(slide), Nearest(corner));
    }

    [Fact]
    public async Task The_slide_timeline_counts_recorded_time_only_and_keeps_one_entry_per_change_made_while_paused()
    {
        await using var page = await RecorderPage.OpenAsync(host);

        var result = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const { openCapture, Recording, pickMimeType } = await import('/recorder-client.js');
              const image = async (colour, name) => {
                const canvas = new OffscreenCanvas(160, 90);
                const context = canvas.getContext('2d');
                context.fillStyle = colour;
                context.fillRect(0, 0, 160, 90);
                return new File([await canvas.convertToBlob({ type: 'image/png' })], name, { type: 'image/png' });
              };
              const refused = await openCapture('slides', { slides: [new File(['notes'], 'notes.txt', { type: 'text/plain' })] })
                .then(() => 'opened', (error) => error.name);
              const slides = await Promise.all(['red', 'green', 'blue'].map((colour, i) => image(colour, `${i}.png`)));
              const capture = await openCapture('slides', { slides });
              const recording = new Recording(capture.stream, { mimeType: pickMimeType('slides') });
              const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
              capture.timeline.attach(recording);
              capture.next(); // before the start: the recording opens on slide 1
              recording.start();
              const startedAt = performance.now();
              await sleep(700);
              recording.pause();
              const pausedAt = recording.elapsedSeconds;
              await sleep(600);
              capture.next(); capture.previous(); capture.next(); // while paused: one change, to slide 2
              await sleep(600);
              recording.resume();
              await sleep(500);
              const before = recording.elapsedSeconds;
              capture.previous();
              const after = recording.elapsedSeconds;
              const wall = (performance.now() - startedAt) / 1000;
              await recording.stop();
              capture.next(); // after the stop: not part of the recording
              let outOfRange = 'none';
              try { capture.goTo(3); } catch (error) { outOfRange = error.name; }
              capture.release();
              return { refused, outOfRange, pausedAt, before, after, wall, timeline: capture.timeline.toJSON() };
            }
            """);

        Assert.Equal("TypeError", result.GetProperty("refused").GetString());
        Assert.Equal("RangeError", result.GetProperty("outOfRange").GetString());
        var entries = Entries(result.GetProperty("timeline"));
        Assert.Equal([1, 2, 1], entries.Select(entry => entry.Index));
        Assert.Equal(0, entries[0].Start);
        // The page rounds to milliseconds half away from zero; C#'s Math.Round would round half to even.
        var pausedAt = result.GetProperty("pausedAt").GetDouble();
        Assert.InRange(entries[1].Start, pausedAt - 0.00051, pausedAt + 0.00051);
        var (before, after) = (result.GetProperty("before").GetDouble(), result.GetProperty("after").GetDouble());
        Assert.InRange(entries[2].Start, before - 0.001, after + 0.001);
        // The 1.2 s paused are not in it: recorded time, not the time since the start.
        var wall = result.GetProperty("wall").GetDouble();
        Assert.True(entries[2].Start < wall - 1, $"{entries[2].Start} s of {wall} s");
        page.AssertNoErrors();
    }

    private sealed record Slide(string Name, int R, int G, int B);

    private sealed record Entry(int Index, string FileName, double Start);

    private async Task ChooseSlidesAsync(RecorderPage page, string mode)
    {
        await page.Page.Locator($"input[name=mode][value=\"{mode}\"]").CheckAsync(new() { Force = true });
        var files = new List<FilePayload>();
        foreach (var slide in Deck)
        {
            var path = Path.ChangeExtension(Path.GetTempFileName(), ".png");
            try
            {
                var colour = $"0x{slide.R:X2}{slide.G:X2}{slide.B:X2}";
                await MediaTools.FfmpegAsync("-f", "lavfi", "-i", $"color=c={colour}:s=640x360", "-frames:v", "1", path);
                files.Add(new FilePayload { Name = slide.Name, MimeType = "image/png", Buffer = await File.ReadAllBytesAsync(path) });
            }
            finally
            {
                File.Delete(path);
            }
        }
        await page.Page.GetByLabel("Slide images").SetInputFilesAsync(files);
        await Expect(page.Page.Locator("#slides-picked")).ToContainTextAsync("3 slide(s)");
    }

    // As the main app reads it: GET /api/recordings/{id} with the page's session.
    private static async Task<JsonElement> GetRecordingAsync(RecorderPage page, long id)
        => await page.Page.EvaluateAsync<JsonElement>("async id => (await fetch(`/api/recordings/${id}`)).json()", id);

    private static List<Entry> Entries(JsonElement timeline)
    {
        Assert.Equal(1, timeline.GetProperty("version").GetInt32());
        return timeline.GetProperty("entries").EnumerateArray()
            .Select(entry => new Entry(
                entry.GetProperty("index").GetInt32(), entry.GetProperty("fileName").GetString()!, entry.GetProperty("start").GetDouble()))
            .ToList();
    }

    private static async Task<FrameColour> ThumbnailColoursAsync(JsonElement recording, string crop)
    {
        var path = Path.ChangeExtension(Path.GetTempFileName(), ".jpg");
        try
        {
            using var http = new HttpClient();
            await File.WriteAllBytesAsync(path, await http.GetByteArrayAsync(recording.GetProperty("thumbnailUrl").GetString()));
            return (await MediaTools.FrameColoursAsync(path, crop)).Single();
        }
        finally
        {
            File.Delete(path);
        }
    }

    // Which slide a picture shows by its chroma (BT.601), or -1 for none (grey, black or white: no chroma to speak of).
    private static int Nearest(FrameColour colour)
    {
        var distances = Deck.Select(slide => Distance(colour, slide)).ToList();
        var nearest = distances.IndexOf(distances.Min());
        return Math.Sqrt((colour.U - 128) * (colour.U - 128) + (colour.V - 128) * (colour.V - 128)) < distances[nearest] ? -1 : nearest;
    }

    private static double Distance(FrameColour colour, Slide slide)
    {
        var u = 128 - (0.168736 * slide.R) - (0.331264 * slide.G) + (0.5 * slide.B);
        var v = 128 + (0.5 * slide.R) - (0.418688 * slide.G) - (0.081312 * slide.B);
        return Math.Sqrt(((colour.U - u) * (colour.U - u)) + ((colour.V - v) * (colour.V - v)));
    }
}
