using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Microsoft.Extensions.Logging.Abstractions;
using Recorder.Core.Media.Ffmpeg;
using Recorder.Testing;

namespace Recorder.Core.Tests.Media.Ffmpeg;

/// <summary>
/// Small recordings made from ffmpeg's test sources, once per test run, in a temporary folder that
/// goes when the process exits; and the same uploaded to Azurite behind a read SAS URL.
/// </summary>
public static class MediaSamples
{
    public const string ChromeLikeWebm = "chrome-like.webm";           // VP8 + Opus written as a stream: no Duration, no Cues
    public const string Vp9Webm = "vp9-opus.webm";                     // VP9 + Opus with Duration
    public const string MoovAtEndMp4 = "moov-at-end.mp4";
    public const string FaststartMp4 = "faststart.mp4";
    public const string FragmentedMp4 = "fragmented.mp4";
    public const string OggOpus = "audio.ogg";
    public const string Wav = "audio.wav";
    public const string Mp3 = "audio.mp3";
    public const string Aac = "audio.aac";
    public const string Mp3WithCoverArt = "cover-art.mp3";
    public const string BlackThenPattern = "black-then-pattern.webm";  // 1 s black, then 2 s of test pattern; 480x270
    public const string Black = "black.webm";
    public const string Png = "picture.png";
    public const string Jpeg = "picture.jpg";
    public const string TruncatedMp4 = "truncated.mp4";                // moov-at-end.mp4 cut before its moov box
    public const string TruncatedWebm = "truncated.webm";              // vp9-opus.webm cut mid-cluster
    public const string Garbage = "garbage.bin";
    public const string Empty = "empty.webm";

    private static readonly Lazy<Task<string>> Folder = new(GenerateAsync);

    /// <summary>A file of tests/fixtures/media: real recordings from Chrome's MediaRecorder among them.</summary>
    public static string Committed(string name) => Path.Combine(TestEnvironment.RepositoryRoot, "tests", "fixtures", "media", name);

    public static async Task<string> PathAsync(string name) => Path.Combine(await Folder.Value, name);

    /// <summary>The sample in a fresh Azurite container, and a read SAS URL for it.</summary>
    public static async Task<string> UploadAsync(string name) => await UploadFileAsync(await PathAsync(name));

    /// <summary>The file in a fresh Azurite container, and a read SAS URL for it.</summary>
    public static async Task<string> UploadFileAsync(string path)
    {
        var containers = await TestStorage.CreateContainersAsync();
        var blob = TestStorage.CreateClient().GetBlobContainerClient(containers.UploadsContainer).GetBlobClient($"7/42/{Guid.NewGuid():N}-{Path.GetFileName(path)}");
        await blob.UploadAsync(path);
        return ReadUrl(blob);
    }

    public static string ReadUrl(BlobClient blob) => blob.GenerateSasUri(BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddMinutes(10)).AbsoluteUri;

    public static FfmpegRunner Runner() => new(NullLogger<FfmpegRunner>.Instance);

    private static async Task<string> GenerateAsync()
    {
        var folder = Directory.CreateTempSubdirectory("recorder-media-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(folder, recursive: true);

        string[] twoSeconds = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30:duration=2"];
        string[] stereo = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2", "-ac", "2"];
        string[] h264Aac = [.. twoSeconds, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=2", "-ac", "2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"];
        string[] mono = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=2"];
        string[] vp8 = ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"];
        await Task.WhenAll(
            // A non-seekable output leaves Duration and Cues out, as Chrome's MediaRecorder does.
            EncodeToStreamAsync(folder, ChromeLikeWebm, [.. twoSeconds, .. stereo, .. vp8, "-c:a", "libopus", "-f", "webm"]),
            EncodeAsync(folder, Vp9Webm, ["-f", "lavfi", "-i", "testsrc=size=256x144:rate=25:duration=2", "-f", "lavfi", "-i", "sine=sample_rate=48000:duration=2",
                "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k", "-c:a", "libopus"]),
            EncodeAsync(folder, MoovAtEndMp4, h264Aac),
            EncodeAsync(folder, FaststartMp4, [.. h264Aac, "-movflags", "+faststart"]),
            EncodeAsync(folder, FragmentedMp4, [.. h264Aac, "-movflags", "frag_keyframe+empty_moov+default_base_moof"]),
            EncodeAsync(folder, OggOpus, [.. stereo, "-c:a", "libopus"]),
            EncodeAsync(folder, Wav, [.. mono, "-ac", "2", "-c:a", "pcm_s16le"]),
            EncodeAsync(folder, Mp3, [.. mono, "-c:a", "libmp3lame"]),
            EncodeAsync(folder, Aac, [.. mono, "-c:a", "aac"]),
            EncodeAsync(folder, Mp3WithCoverArt, [.. mono, "-f", "lavfi", "-i", "testsrc=size=64x64:duration=1", "-map", "0:a", "-map", "1:v", "-frames:v", "1",
                "-c:a", "libmp3lame", "-c:v", "png", "-disposition:v", "attached_pic", "-id3v2_version", "3"]),
            EncodeAsync(folder, BlackThenPattern, ["-f", "lavfi", "-i", "color=black:size=480x270:rate=25:duration=1[black];testsrc=size=480x270:rate=25:duration=2[pattern];[black][pattern]concat",
                .. vp8]),
            EncodeAsync(folder, Black, ["-f", "lavfi", "-i", "color=black:size=480x270:rate=25:duration=2", .. vp8]),
            EncodeAsync(folder, Png, ["-f", "lavfi", "-i", "testsrc=size=64x64", "-frames:v", "1"]),
            EncodeAsync(folder, Jpeg, ["-f", "lavfi", "-i", "testsrc=size=64x64", "-frames:v", "1"]));

        var moovAtEnd = await File.ReadAllBytesAsync(Path.Combine(folder, MoovAtEndMp4));
        await File.WriteAllBytesAsync(Path.Combine(folder, TruncatedMp4), moovAtEnd[..(moovAtEnd.Length * 6 / 10)]);
        var webm = await File.ReadAllBytesAsync(Path.Combine(folder, Vp9Webm));
        await File.WriteAllBytesAsync(Path.Combine(folder, TruncatedWebm), webm[..(webm.Length * 6 / 10)]);
        var garbage = new byte[4096];
        new Random(42).NextBytes(garbage);
        await File.WriteAllBytesAsync(Path.Combine(folder, Garbage), garbage);
        await File.WriteAllBytesAsync(Path.Combine(folder, Empty), []);
        return folder;
    }

    private static async Task EncodeAsync(string folder, string name, IReadOnlyList<string> arguments)
        => await RunFfmpegAsync([.. arguments, Path.Combine(folder, name)]);

    private static async Task EncodeToStreamAsync(string folder, string name, IReadOnlyList<string> arguments)
        => await File.WriteAllBytesAsync(Path.Combine(folder, name), await RunFfmpegAsync([.. arguments, "pipe:1"]));

    /// <summary>Runs ffmpeg and returns its standard output; fails the test on a non-zero exit.</summary>
    public static async Task<byte[]> RunFfmpegAsync(IReadOnlyList<string> arguments)
    {
        var command = new FfmpegCommand("ffmpeg", "ffmpeg", ["-nostdin", "-v", "error", "-y", .. arguments], TimeSpan.FromSeconds(60), 64 * 1024 * 1024);
        var result = await Runner().RunAsync(command, CancellationToken.None);
        return result.ExitCode == 0
            ? result.Output
            : throw new InvalidOperationException($"ffmpeg {string.Join(' ', arguments)} failed: {result.Error}");
    }
}
