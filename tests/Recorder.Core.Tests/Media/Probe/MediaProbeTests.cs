using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Recorder.Core.Media;
using Recorder.Core.Media.Ffmpeg;
using Recorder.Core.Media.Probe;
using Recorder.Core.Tests.Media.Ffmpeg;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Media.Probe;

public sealed class MediaProbeTests
{
    private readonly MediaProbe probe = Create(new MediaOptions());

    public static TheoryData<string, bool> Recordings()
    {
        var data = new TheoryData<string, bool>();
        foreach (var sample in Expected.Keys)
        {
            data.Add(sample, false);
            data.Add(sample, true);
        }
        return data;
    }

    // Container, video, audio and duration in seconds (null: the container does not say).
    private static readonly Dictionary<string, (string Container, VideoInfo? Video, AudioInfo? Audio, double? Duration)> Expected = new()
    {
        [MediaSamples.ChromeLikeWebm] = ("matroska,webm", new VideoInfo("vp8", 320, 240, 30), new AudioInfo("opus", 2, 48000), null),
        [MediaSamples.Vp9Webm] = ("matroska,webm", new VideoInfo("vp9", 256, 144, 25), new AudioInfo("opus", 1, 48000), 2),
        [MediaSamples.MoovAtEndMp4] = (Mp4, new VideoInfo("h264", 320, 240, 30), new AudioInfo("aac", 2, 44100), 2),
        [MediaSamples.FaststartMp4] = (Mp4, new VideoInfo("h264", 320, 240, 30), new AudioInfo("aac", 2, 44100), 2),
        [MediaSamples.FragmentedMp4] = (Mp4, new VideoInfo("h264", 320, 240, 30), new AudioInfo("aac", 2, 44100), 2),
        [MediaSamples.OggOpus] = ("ogg", null, new AudioInfo("opus", 2, 48000), 2),
        [MediaSamples.Wav] = ("wav", null, new AudioInfo("pcm_s16le", 2, 44100), 2),
        [MediaSamples.Mp3] = ("mp3", null, new AudioInfo("mp3", 1, 44100), 2),
        [MediaSamples.Aac] = ("aac", null, new AudioInfo("aac", 1, 44100), 2),
        [MediaSamples.Mp3WithCoverArt] = ("mp3", null, new AudioInfo("mp3", 1, 44100), 2),
    };

    private const string Mp4 = "mov,mp4,m4a,3gp,3g2,mj2";

    [Theory]
    [MemberData(nameof(Recordings))]
    public async Task Reads_container_streams_and_duration(string sample, bool overHttp)
    {
        var (container, video, audio, duration) = Expected[sample];

        var result = await probe.ProbeAsync(await InputAsync(sample, overHttp), CancellationToken.None);

        var info = Assert.IsType<ProbeResult.Probed>(result).Info;
        Assert.Equal(container, info.Container);
        // Frame rates are averages over the frames read; a fragmented MP4's counts the audio's priming too.
        Assert.Equal(video, info.Video is null ? null : info.Video with { FrameRate = Math.Round(info.Video.FrameRate!.Value) });
        Assert.Equal(audio, info.Audio);
        Assert.Equal((video is not null, audio is not null), (info.HasVideo, info.HasAudio));
        if (duration is null)
        {
            Assert.Null(info.Duration);
        }
        else
        {
            // Encoder delay and frame padding make the stated length a little longer than the source's.
            Assert.InRange(info.Duration!.Value.TotalSeconds, duration.Value, duration.Value + 0.15);
            Assert.True(info.BitRate > 0);
        }
    }

    [Fact]
    public async Task A_chrome_camera_recording_has_vp8_opus_and_no_duration()
    {
        var result = await probe.ProbeAsync(MediaSamples.Committed("chrome-camera.webm"), CancellationToken.None);

        var info = Assert.IsType<ProbeResult.Probed>(result).Info;
        Assert.Equal(new MediaInfo("matroska,webm", null, null, new VideoInfo("vp8", 320, 240, 20), new AudioInfo("opus", 1, 48000)), info);
    }

    [Fact]
    public async Task A_chrome_audio_recording_has_opus_only()
    {
        var result = await probe.ProbeAsync(await MediaSamples.UploadFileAsync(MediaSamples.Committed("chrome-audio.webm")), CancellationToken.None);

        var info = Assert.IsType<ProbeResult.Probed>(result).Info;
        Assert.Equal((false, new AudioInfo("opus", 1, 48000), null), (info.HasVideo, info.Audio, info.Duration));
    }

    [Fact]
    public async Task A_png_named_webm_is_corrupt()
    {
        var result = await probe.ProbeAsync(MediaSamples.Committed("png-named.webm"), CancellationToken.None);

        Assert.Contains("not on whitelist", Assert.IsType<ProbeResult.Corrupt>(result).Reason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_mp4_cut_before_its_moov_box_is_corrupt(bool overHttp)
    {
        var input = await InputAsync(MediaSamples.TruncatedMp4, overHttp);

        var result = await probe.ProbeAsync(input, CancellationToken.None);

        var reason = Assert.IsType<ProbeResult.Corrupt>(result).Reason;
        Assert.Contains("moov atom not found", reason);
        AssertNoSignature(reason, input);
    }

    [Theory]
    [InlineData(MediaSamples.Garbage, false)]
    [InlineData(MediaSamples.Garbage, true)]
    [InlineData(MediaSamples.Empty, false)]
    [InlineData(MediaSamples.Empty, true)]
    public async Task Bytes_that_are_no_media_are_corrupt(string sample, bool overHttp)
    {
        var input = await InputAsync(sample, overHttp);

        var result = await probe.ProbeAsync(input, CancellationToken.None);

        var reason = Assert.IsType<ProbeResult.Corrupt>(result).Reason;
        Assert.NotEmpty(reason);
        Assert.DoesNotContain(" @ 0x", reason);
        AssertNoSignature(reason, input);
    }

    [Fact]
    public async Task An_image_is_not_a_recording()
    {
        var input = await InputAsync(MediaSamples.Png, overHttp: true);

        var result = await probe.ProbeAsync(input, CancellationToken.None);

        Assert.Contains("not on whitelist", Assert.IsType<ProbeResult.Corrupt>(result).Reason);
    }

    [Fact]
    public async Task A_webm_cut_mid_cluster_still_probes()
    {
        // ffprobe reads headers and the first packets only; the WebM duration reader finds the cut.
        var generated = await probe.ProbeAsync(await MediaSamples.PathAsync(MediaSamples.TruncatedWebm), CancellationToken.None);
        var chrome = await probe.ProbeAsync(MediaSamples.Committed("truncated.webm"), CancellationToken.None);

        Assert.Equal("vp9", Assert.IsType<ProbeResult.Probed>(generated).Info.Video?.Codec);
        Assert.Equal("vp8", Assert.IsType<ProbeResult.Probed>(chrome).Info.Video?.Codec);
    }

    [Fact]
    public async Task A_missing_blob_cannot_be_read_and_the_error_keeps_the_signature_out()
    {
        var containers = await TestStorage.CreateContainersAsync();
        var url = MediaSamples.ReadUrl(TestStorage.CreateClient().GetBlobContainerClient(containers.UploadsContainer).GetBlobClient("7/42/missing.webm"));

        var exception = await Assert.ThrowsAsync<MediaReadException>(() => probe.ProbeAsync(url, CancellationToken.None));

        Assert.Contains("404", exception.Message);
        Assert.Contains("/7/42/missing.webm", exception.Message);
        AssertNoSignature(exception.Message, url);
    }

    [Fact]
    public async Task A_storage_account_that_does_not_answer_cannot_be_read()
    {
        var url = $"http://127.0.0.1:{ClosedPort.Next()}/devstoreaccount1/uploads/a.webm?sv=2024-08-04&sp=r&sig=c2VjcmV0";

        var exception = await Assert.ThrowsAsync<MediaReadException>(() => probe.ProbeAsync(url, CancellationToken.None));

        Assert.Contains("Connection refused", exception.Message);
        AssertNoSignature(exception.Message, url);
    }

    [Theory]
    [InlineData("recording.webm")]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://example.com/a.webm")]
    [InlineData("concat:/a.webm|/b.webm")]
    public async Task Takes_only_http_urls_and_absolute_paths(string input)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => probe.ProbeAsync(input, CancellationToken.None));
    }

    [Fact]
    public async Task A_missing_ffprobe_names_its_setting()
    {
        var missing = Create(new MediaOptions { FfprobePath = "/nonexistent/ffprobe" });

        var exception = await Assert.ThrowsAsync<FfmpegNotFoundException>(
            async () => await missing.ProbeAsync(await MediaSamples.PathAsync(MediaSamples.Wav), CancellationToken.None));

        Assert.Contains("Media__FfprobePath", exception.Message);
    }

    private static MediaProbe Create(MediaOptions options) => new(MediaSamples.Runner(), Options.Create(options), NullLogger<MediaProbe>.Instance);

    private static async Task<string> InputAsync(string sample, bool overHttp)
        => overHttp ? await MediaSamples.UploadAsync(sample) : await MediaSamples.PathAsync(sample);

    private static void AssertNoSignature(string text, string input)
    {
        Assert.DoesNotContain("sig=", text);
        if (Uri.TryCreate(input, UriKind.Absolute, out var uri) && uri.Query.Length > 1)
        {
            Assert.DoesNotContain(uri.Query, text);
            Assert.DoesNotContain(Uri.UnescapeDataString(uri.Query), text);
        }
    }
}
