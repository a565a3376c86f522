using Azure;
using Azure.Storage.Blobs;
using Recorder.Core.Media;
using Recorder.Core.Media.Webm;
using Recorder.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Recorder.Core.Tests.Media.Webm;

/// <summary>Range reads against Azurite: what a probe of an uploaded recording really transfers.</summary>
public sealed class BlobRangeReaderTests(GeneratedWebmFiles generated, ITestOutputHelper output) : IClassFixture<GeneratedWebmFiles>
{
    [Fact]
    public async Task Reads_ranges_short_only_at_the_end_and_counts_what_was_transferred()
    {
        var bytes = MediaFixtures.Bytes("chrome-camera.webm");
        var reader = await BlobRangeReader.OpenAsync(await UploadAsync(MediaFixtures.PathOf("chrome-camera.webm")), CancellationToken.None);
        var buffer = new byte[100];

        Assert.Equal(bytes.Length, reader.Length);
        Assert.Equal(16, await reader.ReadAsync(1000, buffer.AsMemory(0, 16), CancellationToken.None));
        Assert.Equal(bytes[1000..1016], buffer[..16]);
        Assert.Equal(10, await reader.ReadAsync(bytes.Length - 10, buffer, CancellationToken.None));
        Assert.Equal(bytes[^10..], buffer[..10]);
        Assert.Equal(0, await reader.ReadAsync(bytes.Length, buffer, CancellationToken.None));
        Assert.Equal(26, reader.BytesRead);
    }

    [Theory]
    [InlineData("chrome-camera.webm")]
    [InlineData("chrome-audio.webm")]
    public async Task A_chrome_recording_in_storage_is_timed_by_range_reads(string name)
    {
        var reader = await BlobRangeReader.OpenAsync(await UploadAsync(MediaFixtures.PathOf(name)), CancellationToken.None);

        var result = await WebmDurationReader.ReadAsync(reader, CancellationToken.None);

        Assert.NotNull(result);
        output.WriteLine($"{name}: {result.Duration.TotalSeconds:0.000} s by {result.Method}, {result.BytesRead} of {reader.Length} bytes");
        Assert.Equal(WebmDuration.Tail, result.Method);
        Assert.InRange(result.Duration, MediaFixtures.PacketEnd(name) - TimeSpan.FromSeconds(0.1), MediaFixtures.PacketEnd(name) + TimeSpan.FromSeconds(0.1));
        Assert.Equal(reader.BytesRead, result.BytesRead);
        Assert.InRange(result.BytesRead, 1, reader.Length);
    }

    [Fact]
    public async Task A_ten_minute_recording_in_storage_is_timed_from_under_two_megabytes()
    {
        var file = generated.LongChromeLike;
        var reader = await BlobRangeReader.OpenAsync(await UploadAsync(file.Path), CancellationToken.None);

        var result = await WebmDurationReader.ReadAsync(reader, CancellationToken.None);

        Assert.NotNull(result);
        output.WriteLine($"long-chrome-like: {result.Duration.TotalSeconds:0.000} s by {result.Method}, truth {file.PacketEnd.TotalSeconds:0.000} s, {result.BytesRead} of {reader.Length} bytes");
        Assert.Equal(WebmDuration.Tail, result.Method);
        Assert.InRange(result.Duration, file.PacketEnd - TimeSpan.FromSeconds(0.1), file.PacketEnd + TimeSpan.FromSeconds(0.1));
        Assert.Equal(reader.BytesRead, result.BytesRead);
        Assert.InRange(result.BytesRead, 1, 2 * 1024 * 1024);
    }

    [Fact]
    public async Task A_blob_replaced_after_opening_fails_the_read_instead_of_mixing_two_uploads()
    {
        var blob = await UploadAsync(MediaFixtures.PathOf("chrome-audio.webm"));
        var reader = await BlobRangeReader.OpenAsync(blob, CancellationToken.None);
        await blob.UploadAsync(MediaFixtures.PathOf("chrome-camera.webm"), overwrite: true);

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => reader.ReadAsync(0, new byte[16], CancellationToken.None));

        Assert.Equal(412, failure.Status);
    }

    private static async Task<BlobClient> UploadAsync(string path)
    {
        var containers = await TestStorage.CreateContainersAsync();
        var blob = TestStorage.CreateClient().GetBlobContainerClient(containers.UploadsContainer).GetBlobClient($"7/42/{Guid.NewGuid():N}.webm");
        await blob.UploadAsync(path);
        return blob;
    }
}
