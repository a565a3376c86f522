using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Ingest;
using Recorder.Core.Media.Webm;
using Recorder.Core.Tests.Media.Webm;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Ingest;

/// <summary>
/// Every codec Chromium's MediaRecorder writes gets a seekable copy (WebM where WebM takes the codecs, else Matroska),
/// and a recording without one says why in <c>metadata.seekableCopy</c>.
/// </summary>
public sealed class SeekableCopyTests : IngestTestBase
{
    /// <summary>Chromium 156 recordings (tests/fixtures/media/README.md): VP8, H.264 in WebM and in Matroska, PCM.</summary>
    [Theory]
    [InlineData("chrome-camera.webm", "webm", ".webm", "video/webm")]
    [InlineData("chrome-h264.webm", "matroska", ".mkv", "video/x-matroska")]
    [InlineData("chrome-avc1.mkv", "matroska", ".mkv", "video/x-matroska")]
    [InlineData("chrome-pcm.webm", "matroska", ".mkv", "audio/x-matroska")]
    public async Task A_browser_recording_of_any_codec_gets_a_copy_with_duration_and_cues(
        string fixture, string container, string extension, string contentType)
    {
        var (_, id, ingest) = await AcceptedRecordingAsync(fixture);
        await ProcessAsync(ingest);
        Assert.Equal("completed", await data.StatusAsync(id));

        await ProcessAsync(Assert.Single(await harness.ReceiveAsync()));

        var media = await MediaAsync(id);
        Assert.EndsWith("/seekable" + extension, media);
        Assert.True(DerivedBlobNames.IsSeekable(media));
        var note = await NoteAsync(id);
        Assert.Equal(("made", container), (note.GetProperty("status").GetString(), note.GetProperty("container").GetString()));
        var copy = TestStorage.CreateClient().GetBlobContainerClient(storage.ProcessedContainer).GetBlobClient(media);
        Assert.Equal(contentType, (await copy.GetPropertiesAsync()).Value.ContentType);
        var bytes = (await copy.DownloadContentAsync()).Value.Content.ToArray();
        var duration = await WebmDurationReader.ReadAsync(new MemoryRangeReader(bytes), default);
        Assert.Equal(WebmDuration.Header, duration?.Method);
        Assert.True(HasCues(bytes), "the copy has a Cues index");
    }

    [Fact]
    public async Task A_copy_ffmpeg_cannot_write_is_noted_and_the_served_copy_stays()
    {
        // What `-f webm` answered for H.264 before: a muxer that refuses the streams.
        using var ffmpeg = new FakeFfmpeg("""echo "Could not write header for output file #0" >&2; exit 1""");
        var (_, id, ingest) = await AcceptedRecordingAsync("chrome-h264.webm");
        await ProcessAsync(ingest);

        await ProcessAsync(Assert.Single(await harness.ReceiveAsync()), ffmpeg.Settings);

        var note = await NoteAsync(id);
        Assert.Equal("not_made", note.GetProperty("status").GetString());
        Assert.Equal(SeekableCopyWorker.RemuxFailed, note.GetProperty("reason").GetString());
        Assert.Contains("Could not write header", note.GetProperty("detail").GetString());
        Assert.EndsWith("/media.webm", await MediaAsync(id));
    }

    [Fact]
    public async Task A_copy_shorter_than_the_recording_is_not_served_and_is_noted()
    {
        // The remux stops reading after one second: the copy would lose four.
        using var ffmpeg = new FakeFfmpeg("""exec "$REAL" -t 1 "$@" """);
        var (_, id, ingest) = await AcceptedRecordingAsync("chrome-camera.webm");
        await ProcessAsync(ingest);

        await ProcessAsync(Assert.Single(await harness.ReceiveAsync()), ffmpeg.Settings);

        var note = await NoteAsync(id);
        Assert.Equal(SeekableCopyWorker.NotVerified, note.GetProperty("reason").GetString());
        Assert.Contains("the copy lasts 1.", note.GetProperty("detail").GetString());
        Assert.EndsWith("/media.webm", await MediaAsync(id));
    }

    [Fact]
    public async Task A_copy_whose_message_failed_every_attempt_is_noted()
    {
        var (_, id, ingest) = await AcceptedRecordingAsync("chrome-h264.webm");
        await ProcessAsync(ingest);
        var copy = Assert.Single(await harness.ReceiveAsync());

        await using (var services = harness.Build())
        {
            await services.GetRequiredService<IngestWorker>().FailAbandonedAsync(copy, default);
        }

        Assert.Equal(SeekableCopyWorker.FailedEveryRetry, (await NoteAsync(id)).GetProperty("reason").GetString());
        Assert.Equal("completed", await data.StatusAsync(id));
    }

    private Task<string> MediaAsync(long id)
        => data.ScalarAsync<string>("SELECT media_blob_name FROM recordings WHERE id = @id", new { id });

    private async Task<JsonElement> NoteAsync(long id)
        => JsonDocument.Parse(await data.ScalarAsync<string>(
            "SELECT metadata ->> 'seekableCopy' FROM recordings WHERE id = @id", new { id })).RootElement.Clone();

    /// <summary>Whether the Segment holds a Cues element (ffmpeg writes sizes, so its top-level elements can be walked).</summary>
    private static bool HasCues(byte[] file)
    {
        Ebml.ReadHeader(file, out var ebml);
        var position = (long)ebml.Length + ebml.Size;
        Ebml.ReadHeader(file.AsSpan((int)position), out var segment);
        for (position += segment.Length;
             position < file.Length && Ebml.ReadHeader(file.AsSpan((int)position), out var element) == EbmlStatus.Ok;
             position += element.Length + element.Size)
        {
            if (element.Id == 0x1C53BB6B)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>An ffmpeg that runs the test's script for the seekable copy's remux (<c>-c copy</c>), the real one otherwise.</summary>
    private sealed class FakeFfmpeg : IDisposable
    {
        private readonly string folder = Directory.CreateTempSubdirectory("recorder-ffmpeg-").FullName;

        public FakeFfmpeg(string remux)
        {
            var path = Path.Combine(folder, "ffmpeg");
            File.WriteAllText(path, $"""
                #!/bin/sh
                REAL=/usr/bin/ffmpeg
                case " $* " in *" -c copy "*) {remux} ;; esac
                exec "$REAL" "$@"
                """.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            Settings = new Dictionary<string, string?> { ["Media:FfmpegPath"] = path };
        }

        public IReadOnlyDictionary<string, string?> Settings { get; }

        public void Dispose() => Directory.Delete(folder, recursive: true);
    }
}
