using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Recorder.Core.Media;
using Recorder.Core.Media.Ffmpeg;
using Recorder.Core.Media.Probe;
using Recorder.Core.Media.Thumbnails;
using Recorder.Core.Tests.Media.Ffmpeg;
using Xunit;

namespace Recorder.Core.Tests.Media.Thumbnails;

public sealed class ThumbnailMakerTests
{
    private static readonly VideoInfo Video = new("vp8", 480, 270, 25);

    private readonly ThumbnailMaker maker = Create(new MediaOptions());

    [Theory]
    [InlineData(false, 3.0)]   // 10 % in: 0.3 s, still black
    [InlineData(true, 3.0)]
    [InlineData(false, null)]  // no duration: from the start, which is black
    [InlineData(false, 30.0)]  // a stated length past the real one: 1 s in, where the pattern starts
    public async Task A_video_gets_a_jpeg_frame_with_something_in_it(bool overHttp, double? durationSeconds)
    {
        var input = overHttp ? await MediaSamples.UploadAsync(MediaSamples.BlackThenPattern) : await MediaSamples.PathAsync(MediaSamples.BlackThenPattern);
        var info = new MediaInfo("matroska,webm", durationSeconds is { } s ? TimeSpan.FromSeconds(s) : null, null, Video, null);

        var thumbnail = await maker.CreateAsync(input, info, CancellationToken.None);

        Assert.Equal(("image/jpeg", ".jpg"), (thumbnail.ContentType, thumbnail.Extension));
        Assert.Equal((320, 180), Images.JpegSize(thumbnail.Content));
        var (mean, deviation) = await Images.LumaAsync(thumbnail.Content);
        Assert.True(mean > 40 && deviation > 20, $"Expected the test pattern, got luma mean {mean:F1}, deviation {deviation:F1}.");
    }

    [Fact]
    public async Task A_chrome_camera_recording_gets_a_frame_of_its_picture()
    {
        var input = await MediaSamples.UploadFileAsync(MediaSamples.Committed("chrome-camera.webm"));
        var info = new MediaInfo("matroska,webm", null, null, new VideoInfo("vp8", 320, 240, 20), new AudioInfo("opus", 1, 48000));

        var thumbnail = await maker.CreateAsync(input, info, CancellationToken.None);

        Assert.Equal((320, 240), Images.JpegSize(thumbnail.Content));
        Assert.True((await Images.LumaAsync(thumbnail.Content)).StandardDeviation > 10);
    }

    [Fact]
    public async Task A_video_that_is_all_black_gets_a_black_frame()
    {
        var info = new MediaInfo("matroska,webm", TimeSpan.FromSeconds(2), null, Video, null);

        var thumbnail = await maker.CreateAsync(await MediaSamples.PathAsync(MediaSamples.Black), info, CancellationToken.None);

        Assert.Equal((320, 180), Images.JpegSize(thumbnail.Content));
        Assert.True((await Images.LumaAsync(thumbnail.Content)).Mean < 25);
    }

    [Theory]
    [InlineData(320, 180)]
    [InlineData(250, 140)]  // 250 * 270 / 480 = 140.6: the height is rounded to even
    public async Task The_width_is_the_setting_and_the_aspect_ratio_is_kept(int width, int height)
    {
        var narrow = Create(new MediaOptions { ThumbnailWidth = width });
        var info = new MediaInfo("matroska,webm", TimeSpan.FromSeconds(3), null, Video, null);

        var thumbnail = await narrow.CreateAsync(await MediaSamples.PathAsync(MediaSamples.BlackThenPattern), info, CancellationToken.None);

        Assert.Equal((width, height), Images.JpegSize(thumbnail.Content));
    }

    [Theory]
    [InlineData(MediaSamples.OggOpus, false)]
    [InlineData(MediaSamples.Mp3, true)]
    public async Task Audio_gets_a_png_waveform(string sample, bool overHttp)
    {
        var input = overHttp ? await MediaSamples.UploadAsync(sample) : await MediaSamples.PathAsync(sample);
        var info = new MediaInfo("ogg", TimeSpan.FromSeconds(2), null, null, new AudioInfo("opus", 2, 48000));

        var thumbnail = await maker.CreateAsync(input, info, CancellationToken.None);

        Assert.Equal(("image/png", ".png"), (thumbnail.ContentType, thumbnail.Extension));
        Assert.Equal((320, 80), Images.PngSize(thumbnail.Content));
        var opaque = await Images.OpaquePixelsAsync(thumbnail.Content);
        Assert.InRange(opaque, 320, 320 * 80 / 2); // a wave across the width on a transparent background
    }

    [Fact]
    public async Task Bytes_ffmpeg_cannot_decode_give_no_thumbnail_and_no_signature()
    {
        var input = await MediaSamples.UploadAsync(MediaSamples.Garbage);
        var info = new MediaInfo("matroska,webm", null, null, Video, null);

        var exception = await Assert.ThrowsAsync<ThumbnailException>(() => maker.CreateAsync(input, info, CancellationToken.None));

        Assert.DoesNotContain("sig=", exception.Message);
        Assert.Contains(MediaSamples.Garbage, exception.Message);
    }

    [Fact]
    public async Task Media_without_video_or_audio_is_refused()
    {
        var info = new MediaInfo("matroska,webm", null, null, null, null);

        await Assert.ThrowsAsync<ArgumentException>(async () => await maker.CreateAsync(await MediaSamples.PathAsync(MediaSamples.Vp9Webm), info, CancellationToken.None));
    }

    [Fact]
    public async Task A_missing_ffmpeg_names_its_setting()
    {
        var missing = Create(new MediaOptions { FfmpegPath = "/nonexistent/ffmpeg" });
        var info = new MediaInfo("wav", TimeSpan.FromSeconds(2), null, null, new AudioInfo("pcm_s16le", 2, 44100));

        var exception = await Assert.ThrowsAsync<FfmpegNotFoundException>(
            async () => await missing.CreateAsync(await MediaSamples.PathAsync(MediaSamples.Wav), info, CancellationToken.None));

        Assert.Contains("Media__FfmpegPath", exception.Message);
    }

    private static ThumbnailMaker Create(MediaOptions options) => new(MediaSamples.Runner(), Options.Create(options), NullLogger<ThumbnailMaker>.Instance);
}
