using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Azure.Storage.Blobs.Models;
using Dapper;
using Npgsql;
using Recorder.Bench.Common;
using Recorder.Bench.Ingest;

namespace Recorder.Bench.Burst;

/// <summary>
/// (d) <c>--events</c> BlobCreated events for small recordings posted to the dev host's webhook as fast as it takes
/// them, with 5 % delivered twice; then until every recording is <c>completed</c>: the rates, and exactly one
/// completed row, one ingest and one thumbnail per blob.
/// </summary>
public static class BurstBench
{
    private const int Users = 100;

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var count = options.Int("events", 10_000);
        var concurrency = options.Int("concurrency", 32);
        var limit = TimeSpan.FromMinutes(options.Int("max-minutes", 60));
        var fixture = Path.Combine(BenchServices.RepositoryRoot, "tests", "fixtures", "media", "chrome-audio.webm");
        var content = await File.ReadAllBytesAsync(fixture);

        await using var services = await BenchServices.CreateAsync("burst");
        // Recorder rows as recorder_maintenance: row-level security hides them from the owner (no superuser, as in Azure).
        await using var database = NpgsqlDataSource.Create(services.MaintenanceConnectionString);
        var blobNames = await CreateAwaitingRecordingsAsync(services, database, count, content.Length);

        // The uploads, straight to Azurite (the browser's part), 32 at a time.
        var container = BenchServices.Blobs().GetBlobContainerClient(services.Storage.UploadsContainer);
        var events = new string[count];
        var uploadClock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            var blob = container.GetBlobClient(blobNames[i]);
            await blob.UploadAsync(new BinaryData(content), new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "audio/webm" } }, ct);
            events[i] = IngestBench.BlobCreatedEvent(blob, await blob.GetPropertiesAsync(cancellationToken: ct), sequencer: 1);
        });
        Console.WriteLine($"uploaded {count} blobs in {uploadClock.Elapsed.TotalSeconds:0} s");

        // 5 % of the events delivered a second time (the same event, as Event Grid redelivers), in random order.
        var random = new Random(7);
        var deliveries = events.Concat(Enumerable.Range(0, count / 20).Select(_ => events[random.Next(count)])).OrderBy(_ => random.Next()).ToArray();

        await using var host = await DevHostProcess.StartAsync(services.HostSettings(), Path.Combine(Path.GetTempPath(), "recorder-bench-burst-host.log"));
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency };
        using var client = new HttpClient(handler) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-functions-key", BenchServices.FunctionKey);

        var answers = new ConcurrentDictionary<HttpStatusCode, int>();
        var postLatencies = new Latencies();
        var completedAt = new ConcurrentBag<(double Seconds, long Completed)>();
        var clock = Stopwatch.StartNew();
        var progress = Task.Run(async () =>
        {
            // Completed rows over time, once a second, until all are done, nothing moves for two minutes, or the time limit.
            long last = -1;
            var lastChange = clock.Elapsed;
            while (true)
            {
                await Task.Delay(1000);
                var completed = await CountAsync(database, "SELECT count(*) FROM recordings WHERE status = 'completed'");
                completedAt.Add((clock.Elapsed.TotalSeconds, completed));
                if (completed != last)
                {
                    last = completed;
                    lastChange = clock.Elapsed;
                }
                var unfinished = await CountAsync(database, "SELECT count(*) FROM recordings WHERE status IN ('uploading', 'processing')");
                if (unfinished == 0 || clock.Elapsed - lastChange > TimeSpan.FromMinutes(2) || clock.Elapsed > limit)
                {
                    return clock.Elapsed.TotalSeconds;
                }
            }
        });
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < deliveries.Length)
            {
                var sent = Stopwatch.StartNew();
                using var response = await client.PostAsync("api/events/blob-created", new StringContent(deliveries[index], Encoding.UTF8, "application/json"));
                postLatencies.Add(sent.Elapsed);
                answers.AddOrUpdate(response.StatusCode, 1, (_, n) => n + 1);
            }
        })));
        var postedSeconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"posted {deliveries.Length} events in {postedSeconds:0.0} s");
        var doneSeconds = await progress;

        // Seekable copies (Chrome WebMs) follow 'completed' on the same queue: let them finish before checking blobs.
        await WaitForQuietQueueAsync(database, count);
        var checks = await CheckAsync(database, services, count);
        Write(options.Command, count, deliveries.Length, concurrency, content.Length, postedSeconds, doneSeconds, postLatencies, answers, completedAt, checks);
        return checks.Values.All(check => check.Ok) ? 0 : 1;
    }

    private static async Task<string[]> CreateAwaitingRecordingsAsync(
        BenchServices services, NpgsqlDataSource database, int count, long size)
    {
        // The main app's users, as the owner (recorder_maintenance may only read them).
        await using (var owner = new NpgsqlConnection(services.OwnerConnectionString))
        {
            await owner.ExecuteAsync(
                """
                INSERT INTO users (id, email, password, first_name, last_name)
                SELECT 'burst-' || i, 'burst-' || i || '@example.test', 'x', 'Burst', 'User' FROM generate_series(0, @Users - 1) AS i
                """, new { Users });
        }
        // What POST /api/recordings/uploads leaves behind (UploadService): a row 'uploading' naming its blob.
        await using var connection = await database.OpenConnectionAsync();
        return (await connection.QueryAsync<string>(new CommandDefinition(
            """
            INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name)
            SELECT 'burst-' || (g % @Users), 'Burst ' || g, 'audio', @size, 'audio/webm;codecs=opus',
                   'burst-' || (g % @Users) || '/' || g || '/' || md5(random()::text) || '.webm'
            FROM generate_series(1, @count) AS g
            RETURNING blob_name
            """, new { Users, size, count }, commandTimeout: 0))).ToArray();
    }

    private static async Task<long> CountAsync(NpgsqlDataSource database, string sql)
    {
        await using var connection = await database.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    private static async Task WaitForQuietQueueAsync(NpgsqlDataSource database, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        long last = -1;
        var stable = 0;
        while (DateTime.UtcNow < deadline && stable < 5)
        {
            var copies = await CountAsync(database, "SELECT count(*) FROM recordings WHERE media_blob_name IS NOT NULL");
            stable = copies == last || copies >= count ? stable + 1 : 0;
            last = copies;
            await Task.Delay(1000);
        }
    }

    private sealed record Check(string Value, bool Ok);

    private static async Task<Dictionary<string, Check>> CheckAsync(NpgsqlDataSource database, BenchServices services, int count)
    {
        await using var connection = await database.OpenConnectionAsync();
        var completed = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM recordings WHERE status = 'completed'");
        var notCompleted = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM recordings WHERE status <> 'completed'");
        var distinctThumbnails = await connection.ExecuteScalarAsync<long>("SELECT count(DISTINCT thumbnail_blob_name) FROM recordings WHERE status = 'completed'");
        var attemptsOverOne = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM recordings WHERE ingest_attempts <> 1");
        var ingestAudits = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM audit_log WHERE action = 'recording.ingest' AND outcome = 'success'");
        var auditDuplicates = await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM (SELECT recording_id FROM audit_log WHERE action = 'recording.ingest' AND outcome = 'success' GROUP BY recording_id HAVING count(*) > 1) AS twice");
        var thumbnailBlobs = 0L;
        await foreach (var _ in BenchServices.Blobs().GetBlobContainerClient(services.Storage.ThumbnailsContainer).GetBlobsAsync())
        {
            thumbnailBlobs++;
        }
        var quarantined = 0L;
        await foreach (var _ in BenchServices.Blobs().GetBlobContainerClient(services.Storage.DeadLetterContainer).GetBlobsAsync())
        {
            quarantined++;
        }
        return new()
        {
            ["completed rows"] = new($"{completed} of {count}", completed == count),
            ["rows not completed"] = new(notCompleted.ToString(CultureInfo.InvariantCulture), notCompleted == 0),
            ["distinct thumbnails named by completed rows"] = new(distinctThumbnails.ToString(CultureInfo.InvariantCulture), distinctThumbnails == count),
            ["thumbnail blobs in storage"] = new(thumbnailBlobs.ToString(CultureInfo.InvariantCulture), thumbnailBlobs == count),
            ["rows ingested more or less than once (ingest_attempts ≠ 1)"] = new(attemptsOverOne.ToString(CultureInfo.InvariantCulture), attemptsOverOne == 0),
            ["successful ingest audit entries"] = new(ingestAudits.ToString(CultureInfo.InvariantCulture), ingestAudits == count),
            ["recordings with more than one successful ingest entry"] = new(auditDuplicates.ToString(CultureInfo.InvariantCulture), auditDuplicates == 0),
            ["dead-letter / quarantine blobs"] = new(quarantined.ToString(CultureInfo.InvariantCulture), quarantined == 0),
        };
    }

    private static void Write(string command, int count, int deliveries, int concurrency, int bytes, double postedSeconds, double doneSeconds,
        Latencies postLatencies, ConcurrentDictionary<HttpStatusCode, int> answers, ConcurrentBag<(double Seconds, long Completed)> completedAt, Dictionary<string, Check> checks)
    {
        var result = new ResultFile("event-burst", "Event burst: BlobCreated events for small recordings, 5 % delivered twice");
        result.Line((string.Create(CultureInfo.InvariantCulture, $"{count:N0} recordings awaiting their blob (rows as UploadService leaves them, {Users} users), each blob a copy of ") +
            string.Create(CultureInfo.InvariantCulture, $"tests/fixtures/media/chrome-audio.webm ({bytes:N0} bytes, a real Chrome MediaRecorder file: 5 s Opus, no Duration) uploaded to Azurite ") +
            string.Create(CultureInfo.InvariantCulture, $"before the clock starts. Then {deliveries:N0} webhook posts (Event Grid schema, one event each; {deliveries - count:N0} are a second delivery of ") +
            string.Create(CultureInfo.InvariantCulture, $"the same event) from {concurrency} connections to the bench host (the dev host, separate process; host.json queue settings: batchSize 8, ") +
            "newBatchThreshold 4), which queues each recording and ingests it (ffprobe, WebM tail for the duration, waveform thumbnail) and then makes its seekable copy."));
        result.Section("Figures");
        var completedRate = count / doneSeconds;
        result.Table(["Measure", "Value"],
        [
            ["webhook: events taken per second", (deliveries / postedSeconds).ToString("0", CultureInfo.InvariantCulture)],
            ["webhook: post latency p50 / p99 / max ms", $"{Latencies.Ms(postLatencies.Percentile(50))} / {Latencies.Ms(postLatencies.Percentile(99))} / {Latencies.Ms(postLatencies.Max)}"],
            ["webhook answers", string.Join(", ", answers.OrderBy(a => a.Key).Select(a => $"{(int)a.Key}: {a.Value}"))],
            ["all posted after (s)", postedSeconds.ToString("0.0", CultureInfo.InvariantCulture)],
            ["all completed after (s)", doneSeconds.ToString("0.0", CultureInfo.InvariantCulture)],
            ["**events/s to completed**", completedRate.ToString("0.0", CultureInfo.InvariantCulture)],
        ]);
        result.Section("Exactly once");
        result.Table(["Check", "Value", "OK"], checks.Select(c => (IReadOnlyList<string>)[c.Key, c.Value.Value, c.Value.Ok ? "yes" : "**no**"]));
        result.Line();
        result.Line($"Target no duplicate, no loss: {(checks.Values.All(c => c.Ok) ? "met" : "**missed**")}.");
        result.Section("Completed over time");
        result.Code(string.Join('\n', completedAt.OrderBy(c => c.Seconds).Where((_, i) => i % 10 == 0)
            .Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Seconds,7:0} s {c.Completed,8}"))));
        Console.WriteLine(result.Write(BenchServices.RepositoryRoot, command));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"burst: {deliveries / postedSeconds:0} events/s taken, {completedRate:0.0} events/s to completed"));
    }
}
