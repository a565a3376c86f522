using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Dapper;
using Npgsql;
using Recorder.Bench.Common;
using Recorder.Testing.EventGrid;
using Recorder.Testing.Services;

namespace Recorder.Bench.Ingest;

/// <summary>
/// (b) Per recording, BlobCreated posted → <c>completed</c>, through the dev host's webhook and queue worker, against
/// bare ffprobe + one ffmpeg image on the same local file in the same run: wall time, bytes read from storage
/// (counted by a relay in front of Azurite), peak memory of the host process and of its ffprobe/ffmpeg children.
/// </summary>
public static class IngestBench
{
    private sealed record Measurement(double WallMs, long Bytes, long HostPeakKb, long ChildPeakKb, double QueueWaitMs = 0);

    private sealed record FileResult(BenchMedia Media, List<Measurement> Ingest, List<Measurement> Toolchain, long SeekableCopyBytes, double? DurationSeconds, string DurationSource, IReadOnlyList<ProxiedRequest> Reads);

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var repetitions = options.Int("repetitions", 3);
        var media = await MediaFiles.EnsureAsync(Path.Combine(BenchServices.RepositoryRoot, "bench", "media"));

        await using var services = await BenchServices.CreateAsync("ingest");
        var cookies = await services.SignInUsersAsync(1);
        var azurite = BenchServices.Blobs();
        await using var proxy = new CountingProxy(azurite.Uri);
        await using var host = await DevHostProcess.StartAsync(services.HostSettings(proxy.BlobEndpoint), Path.Combine(Path.GetTempPath(), "recorder-bench-ingest-host.log"));
        await using var memory = new ProcessMemory(host.ProcessId);
        using var api = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        // Recorder rows as recorder_maintenance: row-level security hides them from the owner (no superuser, as in Azure).
        await using var database = NpgsqlDataSource.Create(services.MaintenanceConnectionString);

        var results = new List<FileResult>();
        // One unmeasured run first: the host's first ingest pays JIT and connection set-up.
        await IngestOnceAsync(media[0], api, cookies[0], azurite, services, proxy, memory, database);
        foreach (var file in media)
        {
            var ingest = new List<Measurement>();
            var toolchain = new List<Measurement>();
            long seekableBytes = 0;
            (double? Duration, string Source) probed = (null, "");
            IReadOnlyList<ProxiedRequest> reads = [];
            for (var i = 0; i < repetitions; i++)
            {
                toolchain.Add(await ToolchainAsync(file));
                var (measurement, afterBytes, duration, source, requests) = await IngestOnceAsync(file, api, cookies[0], azurite, services, proxy, memory, database);
                reads = requests;
                ingest.Add(measurement);
                seekableBytes = afterBytes;
                probed = (duration, source);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{file.Name}: ingest {measurement.WallMs:0} ms, {measurement.Bytes} B; toolchain {toolchain[^1].WallMs:0} ms"));
            }
            results.Add(new FileResult(file, ingest, toolchain, seekableBytes, probed.Duration, probed.Source, reads));
        }
        Write(results, repetitions, options.Command);
        return 0;
    }

    private static async Task<(Measurement Measurement, long SeekableCopyBytes, double? Duration, string Source, IReadOnlyList<ProxiedRequest> Reads)> IngestOnceAsync(
        BenchMedia file, HttpClient api, string cookie, BlobServiceClient azurite, BenchServices services, CountingProxy proxy, ProcessMemory memory, NpgsqlDataSource database)
    {
        using var create = new HttpRequestMessage(HttpMethod.Post, "api/recordings/uploads")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { title = file.Name, recordingType = file.RecordingType, mimeType = file.MimeType, fileSize = file.Bytes }), Encoding.UTF8, "application/json"),
        };
        create.Headers.Add("Cookie", cookie);
        using var created = await api.SendAsync(create);
        if (created.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /api/recordings/uploads answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
        }
        var ticket = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        var id = ticket["recordingId"]!.GetValue<long>();
        var blob = azurite.GetBlobContainerClient(services.Storage.UploadsContainer).GetBlobClient(ticket["blobName"]!.GetValue<string>());
        // Straight to Azurite (not through the relay): the upload is the browser's, not a read by the app.
        await blob.UploadAsync(file.Path, new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = file.MimeType } });
        var body = BlobCreatedEvent(blob, await blob.GetPropertiesAsync(), sequencer: 1);

        memory.Reset();
        proxy.Reset();
        var stopwatch = Stopwatch.StartNew();
        using (var post = new HttpRequestMessage(HttpMethod.Post, "api/events/blob-created") { Content = new StringContent(body, Encoding.UTF8, "application/json") })
        {
            post.Headers.Add("x-functions-key", BenchServices.FunctionKey);
            using var answer = await api.SendAsync(post);
            answer.EnsureSuccessStatusCode();
        }
        string status;
        while ((status = await StatusAsync(database, id)) is "uploading" or "processing")
        {
            if (stopwatch.Elapsed > TimeSpan.FromMinutes(5))
            {
                throw new TimeoutException($"recording {id} still '{status}' after 5 minutes");
            }
            await Task.Delay(10);
        }
        var reads = proxy.Requests;
        // The worker's first storage request: until then the message waited in the queue (polled every maxPollingInterval when idle).
        var measurement = new Measurement(stopwatch.Elapsed.TotalMilliseconds, proxy.BytesFromStorage, memory.ProcessPeakKb, memory.ChildPeakKb, reads.Count > 0 ? reads.Min(q => q.AtMs) : 0);
        if (status != "completed")
        {
            throw new InvalidOperationException($"recording {id} of {file.Name} ended '{status}'");
        }

        // Chrome WebMs get a seekable copy after 'completed' (a second queue message): wait until the recording says it
        // was made or why not, so it neither overlaps the next measurement nor goes uncounted.
        await using var connection = await database.OpenConnectionAsync();
        var row = await connection.QuerySingleAsync<(decimal? Duration, string? Source)>(
            "SELECT duration, metadata -> 'media' ->> 'durationSource' FROM recordings WHERE id = @id", new { id });
        if (row.Source is "tail")
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
            const string noted = "SELECT metadata ? 'seekableCopy' FROM recordings WHERE id = @id";
            while (!await connection.ExecuteScalarAsync<bool>(noted, new { id }) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
        await Task.Delay(500); // let the last responses drain through the relay
        return (measurement, proxy.BytesFromStorage - measurement.Bytes, (double?)row.Duration, row.Source ?? "", reads);
    }

    private static async Task<string> StatusAsync(NpgsqlDataSource database, long id)
    {
        await using var connection = await database.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<string>("SELECT status FROM recordings WHERE id = @id", new { id }) ?? "missing";
    }

    /// <summary>The bare toolchain on the local file: ffprobe of format and streams, then one image (a frame; for audio, the waveform).</summary>
    private static async Task<Measurement> ToolchainAsync(BenchMedia file)
    {
        var output = Path.Combine(Path.GetTempPath(), "recorder-bench-frame" + (file.HasVideo ? ".jpg" : ".png"));
        var stopwatch = Stopwatch.StartNew();
        var probeKb = await TimedAsync("ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", file.Path);
        var imageKb = file.HasVideo
            ? await TimedAsync("ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", file.ThumbnailOffset.ToString("0.###", CultureInfo.InvariantCulture), "-i", file.Path,
                "-map", "0:V:0", "-frames:v", "1", "-vf", "scale=640:-2", "-c:v", "mjpeg", "-q:v", "3", output)
            : await TimedAsync("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", file.Path,
                "-filter_complex", "[0:a:0]aformat=channel_layouts=mono,aresample=8000,showwavespic=s=640x160", "-frames:v", "1", output);
        return new Measurement(stopwatch.Elapsed.TotalMilliseconds, file.Bytes, 0, Math.Max(probeKb, imageKb));
    }

    /// <summary>Runs a tool under /usr/bin/time; its peak resident set in KB.</summary>
    private static async Task<long> TimedAsync(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/time", ["-f", "%M", tool, .. arguments]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await stdout;
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} failed: {error}");
        }
        return long.Parse(error.Trim().Split('\n')[^1], CultureInfo.InvariantCulture);
    }

    /// <summary>One Event Grid BlobCreated event, in an array, as Event Grid posts it.</summary>
    public static string BlobCreatedEvent(BlobClient blob, BlobProperties properties, int sequencer)
        => JsonSerializer.Serialize(new[] { BlobCreatedEvents.Create(BenchServices.Topic, blob, properties, BlobCreatedEvents.Sequencer(sequencer)) });

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Mb(double bytes) => (bytes / 1_000_000).ToString("0.00", CultureInfo.InvariantCulture);

    private static string MiB(long kb) => (kb / 1024.0).ToString("0", CultureInfo.InvariantCulture);

    private static void Write(IReadOnlyList<FileResult> results, int repetitions, string command)
    {
        var file = new ResultFile("ingest", "Ingest cost per recording: BlobCreated posted → completed");
        file.Line((string.Create(CultureInfo.InvariantCulture, $"Each file {repetitions} times (medians below, every run in the raw table), after one unmeasured warm-up ingest. ") +
            "Ingest: the bench host (dev host, separate process) with its real webhook and queue worker, PostgreSQL and Azurite; the clock runs from " +
            "posting the BlobCreated event to the row reading `completed` (polled every 10 ms); the queue wait is the time until the worker's first storage request (host.json maxPollingInterval 2 s when the queue is idle). Bytes read: every byte Azurite's blob endpoint sent " +
            "to the host or its ffprobe/ffmpeg children (a counting TCP relay is the app's BlobEndpoint, so the read SAS URLs go through it too; " +
            "HTTP headers included). Memory: the host's VmHWM, reset before each run (`/proc/PID/clear_refs` = 5), and the largest VmHWM of its " +
            "ffprobe/ffmpeg children, sampled every 5 ms. Toolchain baseline: `ffprobe -show_format -show_streams` then one `ffmpeg` image " +
            "(a 640-wide JPEG frame at the app's thumbnail offset; for audio the app's waveform picture) on the same local file, under `/usr/bin/time -f %M`."));
        file.Section("Media");
        file.Table(["File", "Bytes", "Length", "Duration the app found", "From"], results.Select(r => (IReadOnlyList<string>)
        [
            r.Media.Name, r.Media.Bytes.ToString("N0", CultureInfo.InvariantCulture), r.Media.Seconds.ToString(CultureInfo.InvariantCulture) + " s",
            r.DurationSeconds?.ToString("0.000", CultureInfo.InvariantCulture) ?? "–", r.DurationSource,
        ]));
        file.Section("Figures (medians)");
        file.Table(
            [
                "File", "Ingest wall ms", "of which queue wait ms", "Toolchain wall ms", "Ratio", "Ratio without the queue wait",
                "MB read to completed", "of the file", "MB read after (seekable copy)", "Host peak MiB",
                "ffmpeg/ffprobe peak MiB (ingest)", "ffmpeg/ffprobe peak MiB (toolchain)",
            ],
            results.Select(r => (IReadOnlyList<string>)
            [
                r.Media.Name,
                Median(r.Ingest.Select(m => m.WallMs)).ToString("0", CultureInfo.InvariantCulture),
                Median(r.Ingest.Select(m => m.QueueWaitMs)).ToString("0", CultureInfo.InvariantCulture),
                Median(r.Toolchain.Select(m => m.WallMs)).ToString("0", CultureInfo.InvariantCulture),
                (Median(r.Ingest.Select(m => m.WallMs)) / Median(r.Toolchain.Select(m => m.WallMs))).ToString("0.00", CultureInfo.InvariantCulture) + "×",
                (Median(r.Ingest.Select(m => m.WallMs - m.QueueWaitMs)) / Median(r.Toolchain.Select(m => m.WallMs))).ToString("0.00", CultureInfo.InvariantCulture) + "×",
                Mb(Median(r.Ingest.Select(m => (double)m.Bytes))),
                (Median(r.Ingest.Select(m => (double)m.Bytes)) / r.Media.Bytes).ToString("0.00", CultureInfo.InvariantCulture) + "×",
                Mb(r.SeekableCopyBytes),
                MiB((long)Median(r.Ingest.Select(m => (double)m.HostPeakKb))),
                MiB((long)Median(r.Ingest.Select(m => (double)m.ChildPeakKb))),
                MiB((long)Median(r.Toolchain.Select(m => (double)m.ChildPeakKb))),
            ]));
        file.Section("Raw runs");
        file.Table(["File", "Run", "Ingest ms", "Bytes read", "Host peak KB", "Children peak KB", "Toolchain ms", "Toolchain peak KB"],
            results.SelectMany(r => r.Ingest.Select((m, i) => (IReadOnlyList<string>)
            [
                r.Media.Name, (i + 1).ToString(CultureInfo.InvariantCulture), m.WallMs.ToString("0", CultureInfo.InvariantCulture), m.Bytes.ToString(CultureInfo.InvariantCulture),
                m.HostPeakKb.ToString(CultureInfo.InvariantCulture), m.ChildPeakKb.ToString(CultureInfo.InvariantCulture),
                r.Toolchain[i].WallMs.ToString("0", CultureInfo.InvariantCulture), r.Toolchain[i].ChildPeakKb.ToString(CultureInfo.InvariantCulture),
            ])));
        file.Section("Against the targets");
        const string bytesTarget = "Bytes read ≤ 2 MB + the frame's cluster (+ the last Cluster when Clusters are large)";
        file.Table(["File", bytesTarget, "Wall ≤ 1.5× toolchain"], results.Select(r =>
        {
            var bytes = Median(r.Ingest.Select(m => (double)m.Bytes));
            var ratio = Median(r.Ingest.Select(m => m.WallMs)) / Median(r.Toolchain.Select(m => m.WallMs));
            return (IReadOnlyList<string>)
            [
                r.Media.Name,
                $"{Mb(bytes)} MB: {(bytes <= 2_000_000 + ClusterAllowance(r.Media) ? "yes" : "**no**")}",
                string.Create(CultureInfo.InvariantCulture, $"{ratio:0.00}×: {(ratio <= 1.5 ? "yes" : "**no**")}"),
            ];
        }));
        var hostPeaks = results.Select(r => (r.Media.Name, Peak: Median(r.Ingest.Select(m => (double)m.HostPeakKb)))).ToList();
        file.Line();
        file.Line("Memory as length grows (60 s → 10 min, same kind): host peak " +
            $"{MiB((long)hostPeaks[0].Peak)} → {MiB((long)hostPeaks[1].Peak)} MiB; " +
            $"children {MiB((long)Median(results[0].Ingest.Select(m => (double)m.ChildPeakKb)))} → {MiB((long)Median(results[1].Ingest.Select(m => (double)m.ChildPeakKb)))} MiB.");
        file.Section("What was read, request by request (the last run of each file, up to completed)");
        file.Line("Time is from the event post; the first request comes once the queue worker has the message.");
        foreach (var r in results)
        {
            file.Line();
            file.Line("**" + r.Media.Name + "**");
            file.Line();
            file.Table(["ms", "Client", "Request", "Range", "Bytes answered"], r.Reads.Select(q => (IReadOnlyList<string>)
            [
                q.AtMs.ToString("0", CultureInfo.InvariantCulture), q.Client, q.Method, q.Range.Length == 0 ? "(whole blob)" : q.Range, q.Bytes.ToString("N0", CultureInfo.InvariantCulture),
            ]));
        }
        Console.WriteLine(file.Write(BenchServices.RepositoryRoot, command));
    }

    // The thumbnail frame's cluster: at 2.5 Mb/s with a key frame (and so a cluster) every 5 s, about 1.6 MB. With large
    // Clusters the duration reader reads the last one whole, and the thumbnail the first seconds of the first.
    private static double ClusterAllowance(BenchMedia media)
        => media.LastClusterBytes > 0 ? media.LastClusterBytes + 1_048_576 : media.HasVideo ? 2_500_000 / 8.0 * 5 : 0;
}
