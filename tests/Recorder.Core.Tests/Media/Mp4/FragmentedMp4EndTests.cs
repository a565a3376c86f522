using System.Buffers.Binary;
using Recorder.Core.Media.Mp4;
using Recorder.Core.Tests.Media.Webm;
using Recorder.Testing;
using Recorder.Testing.Media;
using Xunit;

namespace Recorder.Core.Tests.Media.Mp4;

/// <summary>
/// A fragmented MP4 (Safari's MediaRecorder layout, made by ffmpeg) cut anywhere: the tail search says it is cut and where its
/// last whole fragment ends, which ffprobe confirms on the file cut at that fragment's end; read once, from the end.
/// </summary>
public sealed class FragmentedMp4EndTests
{
    [Fact]
    public async Task A_whole_fragmented_mp4_is_not_truncated()
    {
        var end = await FragmentedMp4End.ReadAsync(MemoryRangeReader.Of(TestEnvironment.MediaFixture("fragmented.mp4")), default);

        Assert.NotNull(end);
        Assert.False(end.Truncated);
    }

    /// <summary>The fixture: H.264 with B-frames (composition offsets) and AAC, a fragment a second.</summary>
    [Theory]
    [InlineData(30_000)] // inside the third fragment's mdat
    [InlineData(25_200)] // inside the third fragment's moof
    [InlineData(25_076)] // three bytes into the third moof's header
    [InlineData(55_000)] // inside the last mdat
    [InlineData(13_300)] // just inside the second mdat
    public async Task A_fragmented_mp4_cut_inside_a_fragment_is_truncated_and_lasts_up_to_its_last_whole_fragment(int cutAt)
    {
        var file = await File.ReadAllBytesAsync(TestEnvironment.MediaFixture("fragmented.mp4"));
        await AssertCutAsync(file, cutAt);
    }

    [Fact]
    public async Task A_fragmented_mp4_cut_at_a_fragment_boundary_is_whole()
    {
        var file = await File.ReadAllBytesAsync(TestEnvironment.MediaFixture("fragmented.mp4"));
        var boundary = FragmentStarts(file)[2];

        var end = await FragmentedMp4End.ReadAsync(new MemoryRangeReader(file.AsMemory(0, boundary)), default);

        Assert.False(end!.Truncated);
        Assert.Equal((await PrefixPacketEndAsync(file, boundary)).TotalSeconds, end.Duration!.Value.TotalSeconds, 0.002);
    }

    /// <summary>
    /// Safari-like: no B-frames, fragments of a megabyte and more (larger than the search's first chunk), cut at many places.
    /// </summary>
    [Fact]
    public async Task Large_fragments_cut_anywhere_are_read_once_from_the_end_to_the_last_whole_fragment()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fragmented-{Guid.NewGuid():N}.mp4");
        try
        {
            await MediaTools.FfmpegAsync("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi",
                "-i", "sine=frequency=440:sample_rate=48000", "-t", "12", "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0",
                "-g", "60", "-b:v", "6M", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
                "-movflags", "frag_keyframe+empty_moov+default_base_moof+skip_trailer", path);
            var file = await File.ReadAllBytesAsync(path);
            var starts = FragmentStarts(file);
            Assert.True(starts.Count >= 5 && starts.Zip(starts.Skip(1)).Max(pair => pair.Second - pair.First) > 1024 * 1024,
                "fragments larger than the first chunk");
            var random = new Random(19);
            foreach (var cutAt in Enumerable.Range(0, 6).Select(_ => random.Next(starts[1] + 1, file.Length - 1)))
            {
                var reader = await AssertCutAsync(file, cutAt);
                Assert.Equal(0, reader.BytesReadTwice);
                var lastStart = starts.Last(start => start < cutAt);
                // The head, then from the cut back to the last moof's start and at most one chunk (1 MB) further.
                Assert.InRange(reader.BytesRead, 0, 64 * 1024 + (cutAt - lastStart) + 1024 * 1024);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Whatever bytes an upload holds, the search answers (or gives up) and never throws: ingest must not crash.</summary>
    [Fact]
    public async Task Damaged_boxes_never_make_the_search_throw()
    {
        var original = await File.ReadAllBytesAsync(TestEnvironment.MediaFixture("fragmented.mp4"));
        var random = new Random(7);
        for (var attempt = 0; attempt < 300; attempt++)
        {
            var file = original[..random.Next(1_300, original.Length)];
            for (var flips = random.Next(1, 8); flips > 0; flips--)
            {
                file[random.Next(0, file.Length)] = (byte)random.Next(256);
            }

            await FragmentedMp4End.ReadAsync(new MemoryRangeReader(file), default);
        }
    }

    [Fact]
    public async Task An_mp4_with_its_moov_at_the_end_is_not_a_fragmented_one()
        => Assert.Null(await FragmentedMp4End.ReadAsync(MemoryRangeReader.Of(TestEnvironment.MediaFixture("moov-at-end.mp4")), default));

    /// <summary>Cuts <paramref name="file"/> at <paramref name="cutAt"/> and checks what the search says against ffprobe.</summary>
    private static async Task<MemoryRangeReader> AssertCutAsync(byte[] file, int cutAt)
    {
        var reader = new MemoryRangeReader(file.AsMemory(0, cutAt));

        var end = await FragmentedMp4End.ReadAsync(reader, default);

        Assert.NotNull(end);
        Assert.True(end.Truncated, $"cut at {cutAt} is truncated");
        // The last whole fragment ends where the fragment the cut fell in starts.
        var wholeUpTo = FragmentStarts(file).Last(start => start < cutAt);
        var expected = await PrefixPacketEndAsync(file, wholeUpTo);
        Assert.Equal(expected.TotalSeconds, end.Duration!.Value.TotalSeconds, 0.002);
        return reader;
    }

    /// <summary>Where each moof starts, walking the top-level boxes.</summary>
    private static List<int> FragmentStarts(byte[] file)
    {
        var starts = new List<int>();
        for (var at = 0; at + 8 <= file.Length; at += (int)BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(at)))
        {
            if (file.AsSpan(at + 4, 4).SequenceEqual("moof"u8))
            {
                starts.Add(at);
            }
        }
        return starts;
    }

    private static async Task<TimeSpan> PrefixPacketEndAsync(byte[] file, int length)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fragmented-prefix-{Guid.NewGuid():N}.mp4");
        await File.WriteAllBytesAsync(path, file.AsMemory(0, length));
        try
        {
            return await MediaTools.PacketEndAsync(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
