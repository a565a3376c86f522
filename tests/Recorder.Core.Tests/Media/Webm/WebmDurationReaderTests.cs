using Recorder.Core.Media.Webm;
using Xunit;
using Xunit.Abstractions;

namespace Recorder.Core.Tests.Media.Webm;

public sealed class WebmDurationReaderTests(GeneratedWebmFiles generated, ITestOutputHelper output) : IClassFixture<GeneratedWebmFiles>
{
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(0.1);
    private const long ReadBudget = 2 * 1024 * 1024;
    private const long MaxChunk = 1024 * 1024;
    private const long HeadBytes = 64 * 1024;

    [Theory]
    [InlineData("chrome-camera.webm")]
    [InlineData("chrome-audio.webm")]
    [InlineData("chrome-h264.webm")]
    [InlineData("chrome-avc1.mkv")]
    [InlineData("chrome-pcm.webm")]
    public async Task A_chrome_recording_without_duration_is_timed_from_its_last_cluster(string name)
    {
        var source = MemoryRangeReader.Of(MediaFixtures.PathOf(name));

        var result = await ReadAsync(name, source, MediaFixtures.PacketEnd(name));

        Assert.Equal(WebmDuration.Tail, result.Method);
        AssertClose(MediaFixtures.PacketEnd(name), result.Duration);
        // Small files are read once, head and tail together.
        Assert.Equal(source.Length, result.BytesRead);
    }

    [Fact]
    public async Task A_file_with_a_duration_is_read_from_its_header_only()
    {
        var source = MemoryRangeReader.Of(MediaFixtures.PathOf("with-duration.webm"));

        var result = await ReadAsync("with-duration.webm", source, MediaFixtures.PacketEnd("with-duration.webm"));

        Assert.Equal(new WebmDuration(TimeSpan.FromSeconds(5.005), WebmDuration.Header, 64 * 1024), result);
        Assert.Equal(1, source.Requests);
    }

    [Theory]
    [InlineData(nameof(GeneratedWebmFiles.LongLive))]
    [InlineData(nameof(GeneratedWebmFiles.LongChromeLike))]
    public async Task A_ten_minute_recording_without_duration_is_timed_from_a_few_hundred_kilobytes(string which)
    {
        var file = Generated(which);
        Assert.Equal("N/A", file.FormatDuration);
        Assert.True(file.PacketEnd > TimeSpan.FromMinutes(9.9), $"generated {file.PacketEnd}");
        var source = MemoryRangeReader.Of(file.Path);

        var result = await ReadAsync(which, source, file.PacketEnd);

        Assert.Equal(WebmDuration.Tail, result.Method);
        AssertClose(file.PacketEnd, result.Duration);
        Assert.InRange(result.BytesRead, 1, ReadBudget);
        Assert.Equal(source.BytesRead, result.BytesRead);
        Assert.Equal(0, source.BytesReadTwice);
    }

    [Fact]
    public async Task A_single_cluster_larger_than_the_first_chunk_read_is_read_once_back_to_its_start()
    {
        var file = generated.BigCluster;
        Assert.Equal("N/A", file.FormatDuration);
        var source = MemoryRangeReader.Of(file.Path);

        var result = await ReadAsync("big-cluster", source, file.PacketEnd);

        Assert.Equal(WebmDuration.Tail, result.Method);
        AssertClose(file.PacketEnd, result.Duration);
        Assert.Equal(source.Length, result.BytesRead);
        Assert.Equal(0, source.BytesReadTwice);
    }

    /// <summary>
    /// Clusters of megabytes (Chrome's when key frames are rare) once made the reader scan the whole file. It reads back
    /// from the end to the last Cluster's start, at most one chunk (1 MB) past it, each byte once.
    /// </summary>
    [Fact]
    public async Task A_recording_with_large_clusters_is_read_once_from_its_end_back_to_its_last_cluster_only()
    {
        var file = generated.LargeClusters;
        Assert.Equal("N/A", file.FormatDuration);
        var source = MemoryRangeReader.Of(file.Path);
        var lastCluster = source.Length - file.LastClusterOffset;
        Assert.True(lastCluster > 2 * 1024 * 1024, $"the last Cluster is {lastCluster} bytes");

        var result = await ReadAsync("large-clusters", source, file.PacketEnd);

        Assert.Equal(WebmDuration.Tail, result.Method);
        AssertClose(file.PacketEnd, result.Duration);
        Assert.InRange(result.BytesRead, lastCluster, lastCluster + MaxChunk + HeadBytes);
        Assert.Equal(0, source.BytesReadTwice);
    }

    [Fact]
    public async Task A_recording_cut_inside_a_cluster_ends_at_its_last_whole_block_and_says_it_was_cut()
    {
        var result = await ReadAsync("truncated.webm", MemoryRangeReader.Of(MediaFixtures.PathOf("truncated.webm")), MediaFixtures.PacketEnd("truncated.webm"));

        Assert.Equal(WebmDuration.Tail, result.Method);
        AssertClose(MediaFixtures.PacketEnd("truncated.webm"), result.Duration);
        Assert.True(result.Truncated);
    }

    [Theory]
    [InlineData("chrome-camera.webm")]
    [InlineData("chrome-audio.webm")]
    public async Task A_whole_chrome_recording_is_not_taken_for_a_cut_one(string name)
    {
        var result = await ReadAsync(name, MemoryRangeReader.Of(MediaFixtures.PathOf(name)), MediaFixtures.PacketEnd(name));

        Assert.False(result.Truncated);
    }

    [Theory]
    [InlineData("empty.webm")]
    [InlineData("png-named.webm")]
    [InlineData("moov-at-end.mp4")]
    [InlineData("faststart.mp4")]
    [InlineData("fragmented.mp4")]
    [InlineData("audio.ogg")]
    [InlineData("audio.wav")]
    [InlineData("audio.mp3")]
    public async Task Anything_but_webm_has_no_webm_duration(string name)
        => Assert.Null(await WebmDurationReader.ReadAsync(MemoryRangeReader.Of(MediaFixtures.PathOf(name)), CancellationToken.None));

    [Fact]
    public async Task Every_cut_of_a_recording_gives_a_duration_no_longer_than_the_whole_or_none()
    {
        var bytes = MediaFixtures.Bytes("chrome-camera.webm");
        var whole = MediaFixtures.PacketEnd("chrome-camera.webm");

        for (var length = 0; length < bytes.Length; length += 997)
        {
            var result = await WebmDurationReader.ReadAsync(new MemoryRangeReader(bytes.AsMemory(0, length)), CancellationToken.None);

            if (result is not null)
            {
                Assert.InRange(result.Duration, TimeSpan.Zero, whole + Tolerance);
            }
        }
    }

    [Fact]
    public async Task Corrupted_bytes_never_throw()
    {
        var original = MediaFixtures.Bytes("chrome-camera.webm");
        var random = new Random(20240611);
        for (var round = 0; round < 300; round++)
        {
            var bytes = (byte[])original.Clone();
            for (var flips = 0; flips < 1 + round % 20; flips++)
            {
                // Mostly the head and the last cluster, where the reader looks.
                var at = random.Next(2) == 0 ? random.Next(Math.Min(400, bytes.Length)) : bytes.Length - 1 - random.Next(40_000);
                bytes[at] = (byte)random.Next(256);
            }

            await WebmDurationReader.ReadAsync(new MemoryRangeReader(bytes), CancellationToken.None);
        }
    }

    /// <summary>
    /// The Cluster ID inside the last video frame's compressed data, each time followed by bytes that
    /// almost make a Cluster. Were any taken for the last Cluster, the duration would be hours.
    /// </summary>
    [Theory]
    [InlineData("E7 84 00 FF FF FF A3 85 89 00 00 80 FC")] // a block on track 9, which the file does not have
    [InlineData("A3 85 81 00 00 80 FC")] // no Timecode before the first block
    [InlineData("E7 84 00 FF FF FF A3 85 81 00 00 80 FC 00 00")] // a zero byte where the next element's ID should be
    [InlineData("E7 84 00 FF FF FF 42 86 81 01")] // an element a Cluster does not hold
    [InlineData("E7 84 00 FF FF FF EC 8F")] // a Void running past the end of the file is not proof enough
    [InlineData("E7 84 00 FF FF FF A3 85 81 00 00 80 FC A3 82 81 00")] // a block too small to hold its own header
    public async Task The_cluster_id_inside_media_data_is_not_taken_for_a_cluster(string after)
    {
        var bytes = MediaFixtures.Bytes("chrome-camera.webm");
        byte[] fake = [0x1F, 0x43, 0xB6, 0x75, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, .. Convert.FromHexString(after.Replace(" ", ""))];
        fake.CopyTo(bytes, bytes.Length - 16 - fake.Length);

        var result = await WebmDurationReader.ReadAsync(new MemoryRangeReader(bytes), CancellationToken.None);

        Assert.NotNull(result);
        Assert.Equal(WebmDuration.Tail, result.Method);
        AssertClose(MediaFixtures.PacketEnd("chrome-camera.webm"), result.Duration);
    }

    [Fact]
    public async Task Cancellation_stops_the_read()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => WebmDurationReader.ReadAsync(MemoryRangeReader.Of(MediaFixtures.PathOf("chrome-camera.webm")), cancelled.Token));
    }

    private GeneratedWebm Generated(string which) => which switch
    {
        nameof(GeneratedWebmFiles.LongLive) => generated.LongLive,
        nameof(GeneratedWebmFiles.LongChromeLike) => generated.LongChromeLike,
        _ => throw new ArgumentOutOfRangeException(nameof(which)),
    };

    /// <summary>Reads and logs how close it came: the numbers in the fixtures README come from this output.</summary>
    private async Task<WebmDuration> ReadAsync(string name, MemoryRangeReader source, TimeSpan expected)
    {
        var result = await WebmDurationReader.ReadAsync(source, CancellationToken.None);
        Assert.NotNull(result);
        output.WriteLine($"{name}: {result.Duration.TotalSeconds:0.000} s by {result.Method}, truth {expected.TotalSeconds:0.000} s, " +
            $"off by {(result.Duration - expected).TotalMilliseconds:0} ms, {result.BytesRead} of {source.Length} bytes in {source.Requests} requests");
        return result;
    }

    private static void AssertClose(TimeSpan expected, TimeSpan actual)
        => Assert.True((actual - expected).Duration() <= Tolerance, $"expected {expected.TotalSeconds:0.000} s ± 0.1 s, got {actual.TotalSeconds:0.000} s");
}
