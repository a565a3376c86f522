using Recorder.Core.Media.Sniffing;
using Recorder.Core.Tests.Media.Ffmpeg;
using Xunit;

namespace Recorder.Core.Tests.Media.Sniffing;

public sealed class MediaSnifferTests
{
    [Theory]
    [InlineData(MediaSamples.ChromeLikeWebm, MediaContainer.Matroska)]
    [InlineData(MediaSamples.Vp9Webm, MediaContainer.Matroska)]
    [InlineData(MediaSamples.MoovAtEndMp4, MediaContainer.Mp4)]
    [InlineData(MediaSamples.FaststartMp4, MediaContainer.Mp4)]
    [InlineData(MediaSamples.FragmentedMp4, MediaContainer.Mp4)]
    [InlineData(MediaSamples.OggOpus, MediaContainer.Ogg)]
    [InlineData(MediaSamples.Wav, MediaContainer.Wav)]
    [InlineData(MediaSamples.Mp3, MediaContainer.Mp3)]
    [InlineData(MediaSamples.Aac, MediaContainer.Aac)]
    [InlineData(MediaSamples.Png, MediaContainer.Png)]
    [InlineData(MediaSamples.Jpeg, MediaContainer.Jpeg)]
    [InlineData(MediaSamples.Garbage, MediaContainer.Unknown)]
    [InlineData(MediaSamples.Empty, MediaContainer.Unknown)]
    public async Task Detects_the_container_of_files_ffmpeg_wrote(string sample, MediaContainer expected)
    {
        var head = await ReadHeadAsync(await MediaSamples.PathAsync(sample));

        Assert.Equal(expected, MediaSniffer.Detect(head));
    }

    [Theory]
    [InlineData("chrome-camera.webm", MediaContainer.Matroska)]
    [InlineData("chrome-audio.webm", MediaContainer.Matroska)]
    [InlineData("truncated.webm", MediaContainer.Matroska)]
    [InlineData("moov-at-end.mp4", MediaContainer.Mp4)]
    [InlineData("faststart.mp4", MediaContainer.Mp4)]
    [InlineData("fragmented.mp4", MediaContainer.Mp4)]
    [InlineData("audio.ogg", MediaContainer.Ogg)]
    [InlineData("audio.wav", MediaContainer.Wav)]
    [InlineData("audio.mp3", MediaContainer.Mp3)]
    [InlineData("empty.webm", MediaContainer.Unknown)]
    public async Task Detects_the_container_of_the_committed_fixtures(string fixture, MediaContainer expected)
    {
        Assert.Equal(expected, MediaSniffer.Detect(await ReadHeadAsync(MediaSamples.Committed(fixture))));
    }

    [Theory]
    [InlineData("1A45DFA3A34286810142F7810142F2", MediaContainer.Matroska)]
    [InlineData("0000001C667479706D703432", MediaContainer.Mp4)]                  // ....ftypmp42
    [InlineData("000000186674797069736F6D", MediaContainer.Mp4)]                  // ....ftypisom
    [InlineData("4F67675300020000", MediaContainer.Ogg)]                          // OggS
    [InlineData("52494646244E0000574156456666", MediaContainer.Wav)]              // RIFF....WAVE
    [InlineData("52463634FFFFFFFF57415645", MediaContainer.Wav)]                  // RF64....WAVE
    [InlineData("52494646244E0000415649204C495354", MediaContainer.Unknown)]      // RIFF....AVI : not audio
    [InlineData("494433040000000000", MediaContainer.Mp3)]                        // ID3v2.4
    [InlineData("FFFB9064", MediaContainer.Mp3)]                                  // MPEG-1 layer III, 128 kbit/s, 44.1 kHz
    [InlineData("FFF3A8C4", MediaContainer.Mp3)]                                  // MPEG-2 layer III
    [InlineData("FFFBF064", MediaContainer.Unknown)]                              // bitrate index 15 is invalid
    [InlineData("FFF15080", MediaContainer.Aac)]                                  // ADTS, MPEG-4, 44.1 kHz
    [InlineData("FFF9", MediaContainer.Unknown)]                                  // too short to tell
    [InlineData("89504E470D0A1A0A0000000D49484452", MediaContainer.Png)]
    [InlineData("FFD8FFE000104A464946", MediaContainer.Jpeg)]
    [InlineData("1A45DF", MediaContainer.Unknown)]
    [InlineData("00000000000000000000000000000000", MediaContainer.Unknown)]
    [InlineData("3C21444F43545950452068746D6C3E", MediaContainer.Unknown)]        // <!DOCTYPE html>
    public void Detects_the_container_from_its_magic_bytes(string hex, MediaContainer expected)
    {
        Assert.Equal(expected, MediaSniffer.Detect(Convert.FromHexString(hex)));
    }

    [Fact]
    public async Task A_png_named_webm_is_a_png_and_does_not_match_its_declared_type()
    {
        var container = MediaSniffer.Detect(await ReadHeadAsync(MediaSamples.Committed("png-named.webm")));

        Assert.Equal(MediaContainer.Png, container);
        Assert.False(MediaSniffer.Matches(container, "video/webm;codecs=vp9,opus"));
    }

    [Theory]
    [InlineData(MediaContainer.Matroska, "video/webm", true)]
    [InlineData(MediaContainer.Matroska, "video/webm;codecs=vp9,opus", true)]
    [InlineData(MediaContainer.Matroska, "video/webm; codecs=\"vp8, opus\"", true)]
    [InlineData(MediaContainer.Matroska, "VIDEO/WebM", true)]
    [InlineData(MediaContainer.Matroska, "audio/webm;codecs=opus", true)]
    [InlineData(MediaContainer.Matroska, "video/x-matroska;codecs=avc1", true)]
    [InlineData(MediaContainer.Mp4, "video/mp4", true)]
    [InlineData(MediaContainer.Mp4, "video/mp4;codecs=avc1.42E01E,mp4a.40.2", true)]
    [InlineData(MediaContainer.Mp4, "audio/mp4", true)]
    [InlineData(MediaContainer.Ogg, "audio/ogg;codecs=opus", true)]
    [InlineData(MediaContainer.Wav, "audio/wav", true)]
    [InlineData(MediaContainer.Mp3, "audio/mpeg", true)]
    [InlineData(MediaContainer.Aac, "audio/aac", true)]
    [InlineData(MediaContainer.Mp4, "video/webm", false)]
    [InlineData(MediaContainer.Matroska, "video/mp4", false)]
    [InlineData(MediaContainer.Ogg, "audio/webm", false)]
    [InlineData(MediaContainer.Mp3, "audio/aac", false)]
    [InlineData(MediaContainer.Aac, "audio/mpeg", false)]
    [InlineData(MediaContainer.Wav, "audio/ogg", false)]
    [InlineData(MediaContainer.Png, "image/png", false)]
    [InlineData(MediaContainer.Jpeg, "video/webm", false)]
    [InlineData(MediaContainer.Unknown, "video/webm", false)]
    [InlineData(MediaContainer.Matroska, "", false)]
    [InlineData(MediaContainer.Matroska, "application/octet-stream", false)]
    public void Matches_a_container_to_the_declared_type(MediaContainer container, string mimeType, bool expected)
    {
        Assert.Equal(expected, MediaSniffer.Matches(container, mimeType));
    }

    private static async Task<byte[]> ReadHeadAsync(string path)
    {
        await using var file = File.OpenRead(path);
        var head = new byte[MediaSniffer.HeadBytes];
        var read = await file.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false);
        return head[..read];
    }
}
