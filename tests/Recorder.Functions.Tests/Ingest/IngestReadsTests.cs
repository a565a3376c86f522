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
