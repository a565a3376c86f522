using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Npgsql;
using Recorder.Bench.Common;
using Recorder.Bench.Ingest;

namespace Recorder.Bench.Mixed;

/// <summary>
/// Real recordings ingested at a steady rate, one started every <c>every</c> whether or not the last has finished: an upload
/// URL over HTTP, the file put to Azurite with it (the browser's part, not timed), then the BlobCreated event posted to the
/// webhook as Event Grid posts it; the figure is event posted → the row read <c>completed</c> (through the queue worker:
/// probe, duration, thumbnail). The Chrome-like WebMs then get their seekable copy, which adds to the load but not to the figure.
/// </summary>
public sealed class IngestWorkload(
    Uri host, string cookie, IReadOnlyList<BenchMedia> media, BlobContainerClient uploads, NpgsqlDataSource maintenance, TimeSpan every)
    : IWorkload
{
    private static readonly TimeSpan SettleLimit = TimeSpan.FromMinutes(2);

    public string Name => string.Create(CultureInfo.InvariantCulture,
        $"Ingest of real files (5 s 720p WebM and MP4 in turn, one every {every.TotalSeconds:0.#} s)");

    public string Short => "ingest";

    public string Sample => "recording, event → completed";

    public string ThroughputUnit => "completed/min";

    public async Task<WorkloadResult> RunAsync(PhaseWindow window)
    {
        using var client = new HttpClient { BaseAddress = host, Timeout = TimeSpan.FromSeconds(60) };
        await using var watcher = new CompletionWatcher(maintenance, window);
        var figures = new Figures();
        var half = window.MeasureFrom + (window.StopAt - window.MeasureFrom) / 2;
        var ingests = new List<Task>();
        var next = Stopwatch.GetTimestamp();
        var launched = 0;
        while (!window.Ended)
        {
            // Launched inside the window: counted, its latency and its errors, even if it settles after the window.
            var now = Stopwatch.GetTimestamp();
            var file = media[launched++ % media.Count];
            ingests.Add(IngestOneAsync(client, watcher, file, window, figures, now >= window.MeasureFrom, now < half ? 0 : 1));
            next += (long)(every.TotalSeconds * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
        }
        var inFlightAtEnd = figures.InFlight;
        await Task.WhenAll(ingests);
        var detail = string.Create(CultureInfo.InvariantCulture,
            $"{figures.CompletedInWindow} completed inside the window, {inFlightAtEnd} still in flight at its end; ") +
            "claimed and not yet settled at once, on average " +
            string.Create(CultureInfo.InvariantCulture, $"{watcher.WorkingAverage:0.0}, ") +
            string.Create(CultureInfo.InvariantCulture, $"at most {watcher.WorkingMax} (host.json: batchSize 8, newBatchThreshold 4); ") +
            string.Create(CultureInfo.InvariantCulture,
            $"event → a worker's claim p50 {Latencies.Ms(figures.Claimed.Percentile(50))} ms, ") +
            string.Create(CultureInfo.InvariantCulture, $"p99 {Latencies.Ms(figures.Claimed.Percentile(99))} ms ") +
            "(the rest is the work); p50 of those started in the window's first half " +
            string.Create(CultureInfo.InvariantCulture, $"{Latencies.Ms(figures.Halves[0].Percentile(50))} ms, ") +
            string.Create(CultureInfo.InvariantCulture, $"second half {Latencies.Ms(figures.Halves[1].Percentile(50))} ms");
        return new WorkloadResult(figures.Completed, figures.Errors.Total, figures.Errors.Kinds,
            figures.CompletedInWindow / window.Duration.TotalMinutes, detail);
    }

    /// <summary>
    /// What the counted ingests measured: event → completed, event → the worker's claim (queue wait), and event → completed
    /// by the window's half they started in (a queue that falls behind shows as a second half slower than the first); and,
    /// of every ingest, how many reached completed inside the window (the throughput) and how many are in flight.
    /// </summary>
    private sealed class Figures
    {
        private long completedInWindow;
        private long inFlight;

        public long CompletedInWindow => Interlocked.Read(ref completedInWindow);

        public long InFlight => Interlocked.Read(ref inFlight);

        public void Started() => Interlocked.Increment(ref inFlight);

        public void Ended() => Interlocked.Decrement(ref inFlight);

        public void CompletedAt(PhaseWindow window, long settledAt)
        {
            if (settledAt >= window.MeasureFrom && settledAt <= window.StopAt)
            {
                Interlocked.Increment(ref completedInWindow);
            }
        }

        public Latencies Completed { get; } = new();

        public Latencies Claimed { get; } = new();

        public Latencies[] Halves { get; } = [new(), new()];

        public ErrorCounts Errors { get; } = new();
    }

    private async Task IngestOneAsync(
        HttpClient client, CompletionWatcher watcher, BenchMedia file, PhaseWindow window, Figures all, bool counted, int half)
    {
        all.Started();
        var figures = counted ? all : null;
        try
        {
            using var create = new HttpRequestMessage(HttpMethod.Post, "api/recordings/uploads")
            {
                Content = new StringContent(JsonSerializer.Serialize(new
                {
                    title = "Mixed load " + file.Name, recordingType = file.RecordingType, mimeType = file.MimeType, fileSize = file.Bytes,
                }), Encoding.UTF8, "application/json"),
            };
            create.Headers.Add("Cookie", cookie);
            using var created = await client.SendAsync(create);
            if (created.StatusCode != HttpStatusCode.Created)
            {
                figures?.Errors.Add($"upload URL answered {(int)created.StatusCode}");
                return;
            }
            var ticket = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
            var id = ticket["recordingId"]!.GetValue<long>();
            var blob = uploads.GetBlobClient(ticket["blobName"]!.GetValue<string>());
            await blob.UploadAsync(file.Path, new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = file.MimeType } });
            var body = IngestBench.BlobCreatedEvent(blob, await blob.GetPropertiesAsync(), sequencer: 1);

            var settled = watcher.WaitAsync(id);
            var posted = Stopwatch.GetTimestamp();
            using (var post = new HttpRequestMessage(HttpMethod.Post, "api/events/blob-created")
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            })
            {
                post.Headers.Add("x-functions-key", BenchServices.FunctionKey);
                using var answer = await client.SendAsync(post);
                if (!answer.IsSuccessStatusCode)
                {
                    figures?.Errors.Add($"webhook answered {(int)answer.StatusCode}");
                    return;
                }
            }
            var (status, claimedAt, settledAt) = await settled.WaitAsync(SettleLimit);
            if (status != "completed")
            {
                figures?.Errors.Add($"ended '{status}'");
                return;
            }
            all.CompletedAt(window, settledAt);
            figures?.Completed.Add(Stopwatch.GetElapsedTime(posted, settledAt));
            figures?.Halves[half].Add(Stopwatch.GetElapsedTime(posted, settledAt));
            figures?.Claimed.Add(Stopwatch.GetElapsedTime(posted, claimedAt));
        }
        catch (TimeoutException)
        {
            figures?.Errors.Add("not settled within 2 min");
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or Azure.RequestFailedException)
        {
            figures?.Errors.Add(exception);
        }
        finally
        {
            all.Ended();
        }
    }
}
