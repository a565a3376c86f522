using Dapper;
using Recorder.Testing.Media;
using Xunit;
using Xunit.Abstractions;

namespace Recorder.Functions.Tests.Ingest;

/// <summary>
/// What storage serves to ingest a recording, counted by a relay in front of Azurite (the app's range reads and
/// ffprobe/ffmpeg's): each step reads the part of the file it needs, once, never the whole file.
/// </summary>
public sealed class IngestReadsTests(CountingIngestTestHost ingest, ITestOutputHelper output) : IClassFixture<CountingIngestTestHost>
{
    private const long Chunk = 1024 * 1024;

    // Properties, magic bytes and the 64 KB head; ffprobe's first second and the thumbnail's first seconds, through
    // 64 KB receive windows (docs/ingest.md, "Probing and duration").
    private const long StartOfFile = 2 * 1024 * 1024;

    /// <summary>
    /// Safari's fragmented MP4 once cost about the whole file: ffprobe and the thumbnail's ffmpeg each visited every moof (a
    /// range request per fragment) for a duration. Now the tail gives it, and they read the first seconds only.
    /// </summary>
    [Fact]
    public async Task A_fragmented_mp4_costs_its_last_fragment_and_its_first_seconds()
    {
        var folder = Directory.CreateTempSubdirectory("recorder-ingest-reads-");
        try
        {
            var path = Path.Combine(folder.FullName, "fragmented.mp4");
            await MediaTools.FfmpegAsync(TimeSpan.FromMinutes(3), "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "40", "-c:v", "libx264", "-preset", "ultrafast",
                "-bf", "0", "-g", "30", "-b:v", "2M", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
                "-movflags", "frag_keyframe+empty_moov+default_base_moof+skip_trailer", path);
            var content = await File.ReadAllBytesAsync(path);
            var user = await ingest.Api.SignInNewUserAsync();

            var id = await ingest.UploadAsync(user, content, "camera", "video/mp4");
            var recording = await ingest.WaitForOutcomeAsync(user, id);

            Assert.Equal("completed", recording.GetProperty("status").GetString());
            var expected = (await MediaTools.PacketEndAsync(path)).TotalSeconds;
            Assert.InRange((double)recording.GetProperty("duration").GetDecimal(), expected - 0.1, expected + 0.1);
            await using var connection = await ingest.OpenMaintenanceAsync();
            var blobName = await connection.ExecuteScalarAsync<string>("SELECT blob_name FROM recordings WHERE id = @id", new { id });
            var served = ingest.BytesServed(blobName!);
            output.WriteLine($"{served} bytes served of {content.Length}");
            // A fragment is a second: about 260 KB.
            Assert.InRange(served, 0, 512 * 1024 + Chunk + StartOfFile);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Clusters of megabytes once cost a full scan for the duration and a thumbnail seek that read on to the next key frame
    /// and back: about twice the file. Now the last Cluster once (plus at most a chunk) and the first seconds.
    /// </summary>
    [Fact]
    public async Task A_recording_with_large_clusters_costs_its_last_cluster_and_its_first_seconds()
    {
        var folder = Directory.CreateTempSubdirectory("recorder-ingest-reads-");
        try
        {
            var file = await LargeClusterWebm.MakeAsync(Path.Combine(folder.FullName, "large-clusters.webm"), "160x120", 21, 7, "3M");
            var user = await ingest.Api.SignInNewUserAsync();

            var id = await ingest.UploadAsync(user, await File.ReadAllBytesAsync(file.Path), "camera", "video/webm;codecs=vp8,opus");
            var recording = await ingest.WaitForOutcomeAsync(user, id);

            Assert.Equal("completed", recording.GetProperty("status").GetString());
            Assert.InRange((double)recording.GetProperty("duration").GetDecimal(), 20.9, 21.1);
            await using var connection = await ingest.OpenMaintenanceAsync();
            var blobName = await connection.ExecuteScalarAsync<string>("SELECT blob_name FROM recordings WHERE id = @id", new { id });
            var served = ingest.BytesServed(blobName!);
            var lastCluster = file.Length - file.LastClusterOffset;
            output.WriteLine($"{served} bytes served of {file.Length}; last Cluster {lastCluster}");
            Assert.InRange(served, lastCluster, lastCluster + Chunk + StartOfFile);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
