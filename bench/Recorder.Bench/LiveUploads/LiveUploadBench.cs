using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Queues;
using Dapper;
using Npgsql;
using Recorder.Bench.Common;
using Recorder.Core.LiveUploads;
using Recorder.DevHost;
using Recorder.Testing;
using Recorder.Testing.Services;

namespace Recorder.Bench.LiveUploads;

/// <summary>
/// Issue 18's target: Stop (the browser's Put Block List) → the row reading <c>completed</c> with duration and thumbnail,
/// for live recordings of 1, 10 and 60 minutes staged faster than real time in blocks of about 2 s of recording, through
/// the bench host's Event Grid bridge, webhook and queue worker; then how long the seekable copy takes to be served.
/// Where the time goes comes from the database (status) and the storage requests a counting relay saw, by their order.
/// </summary>
public static class LiveUploadBench
{
    private const string MimeType = "video/webm;codecs=vp8,opus";
    private const double SecondsPerBlock = 2;
    private const double Target = 3000;
    private const string IngestQueueName = "live-bench-ingest";

    /// <summary>Milestones of one run in ms after the Put Block List was sent; NaN when the relay did not see one.</summary>
    private sealed record Run(int Minutes, double CommitMs, double BridgeListMs, double ProcessingMs, double WorkerMs, double ProbeMs,
        double TailMs, double ThumbnailMs, double WriteMs, double CompletedMs, double SeekableMs, double StagingMs, int Blocks,
        decimal Duration, string DurationSource, IReadOnlyList<ProxiedRequest> Requests);

    private sealed record Phase(string Name, Func<Run, double> Of);

    private static readonly Phase[] Phases =
    [
        new("Put Block List", r => r.CommitMs),
        new("bridge's poll wait", r => r.BridgeListMs - r.CommitMs),
        new("bridge → webhook → processing", r => r.ProcessingMs - r.BridgeListMs),
        new("queue wait", r => r.WorkerMs - r.ProcessingMs),
        new("checks (properties, quota, magic bytes)", r => r.ProbeMs - r.WorkerMs),
        new("ffprobe", r => r.TailMs - r.ProbeMs),
        new("WebM tail", r => r.ThumbnailMs - r.TailMs),
        new("thumbnail", r => r.WriteMs - r.ThumbnailMs),
        new("copy, thumbnail upload, completion", r => r.CompletedMs - r.WriteMs),
    ];

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var lengths = (options.Text("lengths") ?? "1,10,60").Split(',').Select(m => int.Parse(m, CultureInfo.InvariantCulture)).ToArray();
        var repetitions = options.Int("repetitions", 3);
        var parallel = options.Int("parallel", 4);
        var media = new List<LiveMedia>();
        foreach (var minutes in lengths)
        {
            media.Add(await LiveMediaFiles.EnsureAsync(Path.Combine(BenchServices.RepositoryRoot, "bench", "media"), minutes));
        }

        // A PostgreSQL and an Azurite of the run's own: an hour of recording is gigabytes of blocks and copies, and the
        // shared test services must neither carry them nor lend their state (open files, other runs) to the figures.
        await using var services = await PrivateServices.StartAsync();
        var azurite = services.Blobs();
        await using var proxy = new CountingProxy(azurite.Uri);
        var settings = BenchServices.AppSettings(IngestQueueName);
        foreach (var (key, value) in services.ConnectionSettings())
        {
            settings[key] = value;
        }
        // Blob traffic through the counting relay; queues stay direct.
        settings["RecordingsStorage"] = string.Join(';', services.Azurite.ConnectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.StartsWith("BlobEndpoint=", StringComparison.Ordinal) ? "BlobEndpoint=" + proxy.BlobEndpoint : part))
            + ";";
        settings["DevHost:EventBridge"] = "true";
        if (options.Text("bridge-interval-ms") is { } interval)
        {
            settings[EventGridBridgeSettings.IntervalSetting] = interval;
        }
        // Every run's recording stays until the end: the default 10 GiB would not hold three hours.
        settings["Recordings:DefaultStorageLimitBytes"] = (1L << 40).ToString(CultureInfo.InvariantCulture);
        await using var host = await DevHostProcess.StartAsync(settings, Path.Combine(Path.GetTempPath(), "recorder-bench-live-host.log"));
        using var api = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        api.DefaultRequestHeaders.Add("Cookie",
            (await TestSessions.SignInAsync(services.OwnerConnectionString, BenchServices.SessionSecret, ["live-bench"]))[0]);
        await using var database = NpgsqlDataSource.Create(services.MaintenanceConnectionString);
        var poison = new QueueServiceClient(services.Azurite.ConnectionString).GetQueueClient(IngestQueueName + "-poison");
        var bench = new Context(api, azurite, services.Azurite, proxy, database, poison, services.Storage.UploadsContainer, parallel);

        // One unmeasured run first: the host's first ingest pays JIT and connection set-up.
        await bench.RunOnceAsync(media[0]);
        var runs = new List<Run>();
        foreach (var file in media)
        {
            for (var i = 0; i < repetitions; i++)
            {
                var run = await bench.RunOnceAsync(file);
                runs.Add(run);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{file.Minutes} min: staged {run.Blocks} blocks in {run.StagingMs:0} ms; Stop → completed {run.CompletedMs:0} ms (") +
                    string.Join(", ", Phases.Select(p => p.Name + " " + Ms(p.Of(run)))) +
                    string.Create(CultureInfo.InvariantCulture, $"); seekable copy {run.SeekableMs:0} ms later"));
            }
        }
        Write(media, runs, repetitions, parallel, settings, options.Command);
        return 0;
    }

    private sealed class Context(HttpClient api, BlobServiceClient azurite, PrivateAzurite azuriteProcess, CountingProxy proxy,
        NpgsqlDataSource database, QueueClient poison, string uploadsContainer, int parallel)
    {
        public async Task<Run> RunOnceAsync(LiveMedia file)
        {
            // Azurite keeps a file open for every block of a read its client closes early (ffprobe and ffmpeg do), so two
            // ingests of an hour in 2-second blocks reach its 20,000 open files and it answers 500 (Azure/Azurite#1967).
            // A restart (metadata saved, same ports and data) closes them; the staging that follows lets the host reconnect.
            await azuriteProcess.StopAsync();
            await azuriteProcess.StartAsync();
            using var created = await api.PostAsJsonAsync("api/recordings/uploads",
                new { title = $"live {file.Minutes} min", recordingType = "camera", mimeType = MimeType, live = true });
            if (created.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException(
                    $"POST /api/recordings/uploads answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
            }
            var ticket = await created.Content.ReadFromJsonAsync<JsonElement>();
            var id = ticket.GetProperty("recordingId").GetInt64();
            // The upload URL's SAS, sent straight to Azurite: the browser's upload is not a read by the app, so not through the relay.
            var url = new UriBuilder(ticket.GetProperty("uploadUrl").GetString()!) { Host = azurite.Uri.Host, Port = azurite.Uri.Port };
            var blob = new BlockBlobClient(url.Uri);

            var blocks = (int)Math.Ceiling(file.Seconds / SecondsPerBlock);
            var blockBytes = (file.Bytes + blocks - 1) / blocks;
            var staging = Stopwatch.StartNew();
            await Parallel.ForAsync(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, cancellationToken) =>
            {
                await using var stream = File.OpenRead(file.Path);
                stream.Position = i * blockBytes;
                var content = new byte[Math.Min(blockBytes, file.Bytes - stream.Position)];
                await stream.ReadExactlyAsync(content, cancellationToken);
                await blob.StageBlockAsync(LiveBlockId.Format(i), new MemoryStream(content), cancellationToken: cancellationToken);
            });
            var stagingMs = staging.Elapsed.TotalMilliseconds;

            proxy.Reset();
            var clock = Stopwatch.StartNew();
            await blob.CommitBlockListAsync(Enumerable.Range(0, blocks).Select(LiveBlockId.Format),
                new CommitBlockListOptions { HttpHeaders = new BlobHttpHeaders { ContentType = MimeType } });
            var commitMs = clock.Elapsed.TotalMilliseconds;
            var processingMs = double.NaN;
            await using var connection = await database.OpenConnectionAsync();
            string status;
            while ((status = await connection.ExecuteScalarAsync<string>("SELECT status FROM recordings WHERE id = @id", new { id }) ?? "")
                is "uploading" or "processing")
            {
                if (status == "processing" && double.IsNaN(processingMs))
                {
                    processingMs = clock.Elapsed.TotalMilliseconds;
                }
                if (clock.Elapsed > TimeSpan.FromMinutes(5))
                {
                    throw new TimeoutException($"recording {id} still '{status}' after 5 minutes");
                }
                await Task.Delay(10);
            }
            var completedMs = clock.Elapsed.TotalMilliseconds;
            var row = await connection.QuerySingleAsync<(decimal? Duration, string? Thumbnail, string? Source)>(
                "SELECT duration, thumbnail_blob_name, metadata -> 'media' ->> 'durationSource' FROM recordings WHERE id = @id",
                new { id });
            if (status != "completed" || row.Duration is null || row.Thumbnail is null)
            {
                throw new InvalidOperationException(
                    $"recording {id} ended '{status}' (duration {row.Duration}, thumbnail {row.Thumbnail})");
            }
            var requests = proxy.Requests.OrderBy(r => r.AtMs).Where(r => r.AtMs <= completedMs).ToList();

            var seekableMs = await SeekableCopyServedAsync(connection, id) ? clock.Elapsed.TotalMilliseconds - completedMs : double.NaN;
            return Milestones(requests, id, uploadsContainer) with
            {
                Minutes = file.Minutes,
                CommitMs = commitMs,
                ProcessingMs = processingMs,
                CompletedMs = completedMs,
                SeekableMs = seekableMs,
                StagingMs = stagingMs,
                Blocks = blocks,
                Duration = row.Duration.Value,
                DurationSource = row.Source ?? "",
                Requests = requests,
            };
        }

        /// <summary>
        /// Waits until the row serves its seekable copy; false when the copy failed for good (its message went to the poison
        /// queue: that run has no figure, and the next runs go on).
        /// </summary>
        private async Task<bool> SeekableCopyServedAsync(NpgsqlConnection connection, long id)
        {
            var poisoned = await PoisonedAsync();
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(30);
            while (DateTime.UtcNow < deadline)
            {
                if (await connection.ExecuteScalarAsync<string?>("SELECT media_blob_name FROM recordings WHERE id = @id", new { id })
                    is { } served && served.EndsWith("/seekable.webm", StringComparison.Ordinal))
                {
                    return true;
                }
                if (await PoisonedAsync() > poisoned)
                {
                    Console.WriteLine($"recording {id}: the seekable copy failed (see the host's log)");
                    return false;
                }
                await Task.Delay(50);
            }
            throw new TimeoutException($"recording {id} has no seekable copy after 30 minutes");
        }

        private async Task<int> PoisonedAsync()
        {
            try
            {
                return (await poison.GetPropertiesAsync()).Value.ApproximateMessagesCount;
            }
            catch (RequestFailedException exception) when (exception.Status == 404)
            {
                return 0;
            }
        }
    }

    /// <summary>
    /// The steps by the first storage request of each: the bridge's listing that found the blob and its block-list read
    /// (how it names the api), then the worker's, in the order MediaInspector takes them: blob properties (HEAD), ffprobe
    /// (ffmpeg's user agent), the WebM tail (the app's ranged reads after it), the thumbnail (ffmpeg again), the writes.
    /// </summary>
    private static Run Milestones(List<ProxiedRequest> requests, long id, string uploadsContainer)
    {
        var recordingPath = string.Create(CultureInfo.InvariantCulture, $"/{id}/");
        var own = requests.Where(r => r.Path.Contains(recordingPath, StringComparison.Ordinal)).ToList();
        double At(ProxiedRequest? request) => request?.AtMs ?? double.NaN;
        var bridgeRead = own.FirstOrDefault(r => r.Client != "ffmpeg" && r.Method == "GET");
        var bridgeList = requests.LastOrDefault(r => r.Method == "GET" && r.AtMs <= At(bridgeRead)
            && r.Path.EndsWith("/" + uploadsContainer, StringComparison.Ordinal));
        var worker = own.FirstOrDefault(r => r.Method == "HEAD");
        var probe = own.FirstOrDefault(r => r.Client == "ffmpeg" && r.AtMs > At(worker));
        var tail = own.FirstOrDefault(r => r.Client != "ffmpeg" && r.Method == "GET" && r.AtMs > At(probe));
        var thumbnail = own.FirstOrDefault(r => r.Client == "ffmpeg" && r.AtMs > At(tail));
        var write = own.FirstOrDefault(r => r.Method == "PUT" && r.AtMs > At(thumbnail));
        return new Run(0, 0, At(bridgeList), 0, At(worker), At(probe), At(tail), At(thumbnail), At(write), 0, 0, 0, 0, 0, "", []);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Ms(double value) => double.IsNaN(value) ? "–" : value.ToString("0", CultureInfo.InvariantCulture);

    private static void Write(IReadOnlyList<LiveMedia> media, IReadOnlyList<Run> runs, int repetitions, int parallel,
        IReadOnlyDictionary<string, string?> settings, string command)
    {
        var bridgeInterval = settings.TryGetValue(EventGridBridgeSettings.IntervalSetting, out var interval)
            ? interval + " ms" : "1000 ms (default)";
        var file = new ResultFile("live-upload", "Live upload: Stop → completed by recording length");
        file.Line(string.Create(CultureInfo.InvariantCulture,
            $"Each length {repetitions} times (medians below, every run in the raw table), after one unmeasured warm-up run. ") +
            "A live upload is created through the API (`live: true`) of the bench host (the dev host as a separate process, over " +
            "a PostgreSQL and an Azurite of the run's own, tests/Recorder.Testing `PrivateServices`), and a Chrome-like WebM " +
            "(720p30 VP8 2.5 Mb/s + Opus, no Duration, no Cues, Segment and " +
            "Clusters of unknown size) is staged through its upload URL in blocks of " +
            string.Create(CultureInfo.InvariantCulture, $"{SecondsPerBlock:0} s of recording ({parallel} at a time, ") +
            "faster than real time). The clock starts when the Put Block List " +
            "(Stop) is sent and stops when the row reads `completed` with its duration and thumbnail (polled every 10 ms). The " +
            $"dev host's Event Grid bridge (polling the uploads container every {bridgeInterval}) posts the BlobCreated event " +
            "to the webhook; the ingest message waits in the queue for the worker (host.json `maxPollingInterval` when idle). " +
            "The steps are timed by the first storage request of each, seen by a counting relay in front of Azurite's blob " +
            "endpoint (the app's BlobEndpoint): the bridge's last listing before the event, the worker's first request, ffprobe's " +
            "first read, the tail's first ranged read, the thumbnail's first read, the first write. The seekable copy is timed " +
            "from `completed` until the row serves `…/seekable.webm`.");
        file.Section("Media");
        file.Table(
            ["Length", "Bytes", "Blocks", "Bytes a block", "Staging ms (median)", "Faster than real time", "Duration the app found",
                "From"],
            media.Select(m =>
            {
                var mine = runs.Where(r => r.Minutes == m.Minutes).ToList();
                var staging = Median(mine.Select(r => r.StagingMs));
                return (IReadOnlyList<string>)
                [
                    m.Minutes + " min", m.Bytes.ToString("N0", CultureInfo.InvariantCulture),
                    mine[0].Blocks.ToString(CultureInfo.InvariantCulture),
                    (m.Bytes / mine[0].Blocks).ToString("N0", CultureInfo.InvariantCulture), Ms(staging),
                    (m.Seconds * 1000 / staging).ToString("0", CultureInfo.InvariantCulture) + "×",
                    mine[0].Duration.ToString("0.000", CultureInfo.InvariantCulture) + " s", mine[0].DurationSource,
                ];
            }));
        file.Section("Stop → completed (medians, ms)");
        file.Table(
            ["Length", "Stop → completed", "min", "max", .. Phases.Select(p => p.Name), "Seekable copy after completed",
                "Seekable copy per recorded hour"],
            media.Select(m =>
            {
                var mine = runs.Where(r => r.Minutes == m.Minutes).ToList();
                var seekable = Median(mine.Select(r => r.SeekableMs));
                return (IReadOnlyList<string>)
                [
                    m.Minutes + " min", Ms(Median(mine.Select(r => r.CompletedMs))), Ms(mine.Min(r => r.CompletedMs)),
                    Ms(mine.Max(r => r.CompletedMs)),
                    .. Phases.Select(p => Ms(Median(mine.Select(p.Of)))),
                    Ms(seekable),
                    double.IsNaN(seekable) ? "–" : (seekable / 1000 * 60 / m.Minutes).ToString("0", CultureInfo.InvariantCulture) + " s",
                ];
            }));
        file.Section("Raw runs (ms)");
        file.Table(["Length", "Run", "Staging", "Stop → completed", .. Phases.Select(p => p.Name), "Seekable copy after completed"],
            runs.Select((r, i) => (IReadOnlyList<string>)
            [
                r.Minutes + " min", (i % repetitions + 1).ToString(CultureInfo.InvariantCulture), Ms(r.StagingMs), Ms(r.CompletedMs),
                .. Phases.Select(p => Ms(p.Of(r))), Ms(r.SeekableMs),
            ]));
        var last = runs[^1];
        file.Section(string.Create(CultureInfo.InvariantCulture, $"Storage requests to `completed`, last {last.Minutes}-minute run"));
        file.Line("Every request the relay saw from Stop to `completed` (the bridge's listings of the uploads container included), " +
            "ms after Stop; the Put Block List and the staged blocks went straight to Azurite.");
        file.Line();
        file.Table(["ms", "Client", "Request", "Range", "Bytes answered"], last.Requests.Select(r => (IReadOnlyList<string>)
        [
            Ms(r.AtMs), r.Client, r.Method + " " + r.Path, r.Range, r.Bytes.ToString("N0", CultureInfo.InvariantCulture),
        ]));
        file.Section("Against the target");
        file.Table(["Length", "Stop → completed median ≤ 3 s"], media.Select(m =>
        {
            var median = Median(runs.Where(r => r.Minutes == m.Minutes).Select(r => r.CompletedMs));
            return (IReadOnlyList<string>)[m.Minutes + " min", Ms(median) + " ms: " + (median <= Target ? "yes" : "**no**")];
        }));
        Console.WriteLine("wrote " + file.Write(BenchServices.RepositoryRoot, command));
    }
}
