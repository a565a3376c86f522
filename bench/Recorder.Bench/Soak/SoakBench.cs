using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Recorder.Bench.Common;
using Recorder.Core.Configuration;
using Recorder.Testing;
using Recorder.Testing.Media;
using Recorder.Testing.Services;
using Recorder.Testing.Uploads;

namespace Recorder.Bench.Soak;

/// <summary>
/// (e) <c>--users</c> users recording for <c>--minutes</c> against the dev host (a process of its own, event bridge on,
/// the sample settings' timers) over a PostgreSQL and an Azurite of the run's own: each user in turn asks for an upload
/// URL, puts a recording of tests/fixtures/media, polls it until it is settled as the page does, lists their
/// recordings now and then and deletes every third. Then: per endpoint counts, errors and latencies, upload end →
/// completed, the memory of each process over time, and — once the users stop — recordings not terminal and blobs and
/// rows without each other.
/// </summary>
public static class SoakBench
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    // The bound after a fault: the ingest lease (2 minutes) plus a minute. A recording still unsettled
    // that long after the users stopped is stuck.
    private static readonly TimeSpan SettleLimit = TimeSpan.FromMinutes(3);

    private sealed record MemorySample(TimeSpan At, long HostKb, long PostgresKb, long AzuriteKb);

    private sealed class Endpoint(string name)
    {
        public string Name => name;

        public Latencies Latencies { get; } = new();

        public ConcurrentDictionary<string, long> Errors { get; } = new();

        public async Task<T?> TimeAsync<T>(Func<Task<T>> call)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                var result = await call();
                Latencies.Add(Stopwatch.GetElapsedTime(started));
                return result;
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or Azure.RequestFailedException)
            {
                Errors.AddOrUpdate(Describe(exception), 1, (_, n) => n + 1);
                return default;
            }
        }

        private static string Describe(Exception exception) => exception switch
        {
            HttpRequestException { StatusCode: { } status } => ((int)status).ToString(CultureInfo.InvariantCulture),
            Azure.RequestFailedException { Status: > 0 } storage => storage.Status.ToString(CultureInfo.InvariantCulture),
            _ => exception.GetType().Name,
        };
    }

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var users = options.Int("users", 4);
        var length = TimeSpan.FromMinutes(options.Int("minutes", 2));
        var samples = MediaSample.Recordings.Select(sample => (Sample: sample, Content: File.ReadAllBytes(sample.Path))).ToArray();

        await using var services = await PrivateServices.StartAsync();
        await using var host = await DevHostProcess.StartAsync(HostSettings(services), Path.Combine(Path.GetTempPath(), "recorder-bench-soak-host.log"));
        var cookies = await TestSessions.SignInAsync(services.OwnerConnectionString, BenchServices.SessionSecret,
            [.. Enumerable.Range(0, users).Select(i => $"soak-{i}")]);

        var create = new Endpoint("POST /api/recordings/uploads");
        var put = new Endpoint("PUT upload URL (storage)");
        var get = new Endpoint("GET /api/recordings/{id}");
        var list = new Endpoint("GET /api/recordings");
        var delete = new Endpoint("DELETE /api/recordings/{id}");
        var uploadToCompleted = new Latencies();
        var outcomes = new ConcurrentDictionary<string, long>();

        Console.WriteLine($"soak: {users} users for {length.TotalMinutes:0} min against {host.BaseAddress}");
        var clock = Stopwatch.StartNew();
        using var stopSampling = new CancellationTokenSource();
        var memory = SampleMemoryAsync(host.ProcessId, services, clock, length, stopSampling.Token);

        async Task UserAsync(int user)
        {
            using var api = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            api.DefaultRequestHeaders.Add("Cookie", cookies[user]);
            for (var round = 0; clock.Elapsed < length; round++)
            {
                var (sample, content) = samples[(user + round) % samples.Length];
                if (await create.TimeAsync(() => BrowserUploads.RequestAsync(api, sample, content.Length)) is not { } ticket
                    || !await put.TimeAsync(async () => { await BrowserUploads.PutAsync(ticket, sample, content); return true; }))
                {
                    continue;
                }
                var uploaded = DateTimeOffset.UtcNow;

                // As the page does: ask until the recording is settled (a stuck one is given up on at the settle limit).
                JsonElement recording = default;
                string status = "uploading";
                while (status is "uploading" or "processing" && DateTimeOffset.UtcNow - uploaded < SettleLimit)
                {
                    await Task.Delay(PollInterval);
                    if (await get.TimeAsync(() => api.GetFromJsonAsync<JsonElement>($"api/recordings/{ticket.RecordingId}")) is { ValueKind: JsonValueKind.Object } read)
                    {
                        recording = read;
                        status = read.GetProperty("status").GetString()!;
                    }
                }
                outcomes.AddOrUpdate(status, 1, (_, n) => n + 1);
                if (status == "completed")
                {
                    uploadToCompleted.Add(recording.GetProperty("completedAt").GetDateTimeOffset() - uploaded);
                }
                if (round % 5 == 4)
                {
                    await list.TimeAsync(() => api.GetFromJsonAsync<JsonElement>("api/recordings"));
                }
                if (round % 3 == 2)
                {
                    await delete.TimeAsync(async () =>
                    {
                        using var response = await api.DeleteAsync($"api/recordings/{ticket.RecordingId}");
                        return response.EnsureSuccessStatusCode().StatusCode;
                    });
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, users).Select(user => Task.Run(() => UserAsync(user))));
        var loadEnded = clock.Elapsed;
        var settled = await SettleAsync(services);
        var settledAfter = clock.Elapsed - loadEnded;
        await stopSampling.CancelAsync();
        var samplesTaken = await memory;

        var endpoints = new[] { create, put, get, list, delete };
        var errors = endpoints.Sum(endpoint => endpoint.Errors.Values.Sum()) + outcomes.Where(outcome => outcome.Key != "completed").Sum(outcome => outcome.Value);
        var orphans = settled.BlobsWithoutRow.Count + settled.RowsWithoutBlob.Count;
        var result = new ResultFile("soak", "Soak: users recording for minutes, then nothing stuck, nothing orphaned");
        result.Line(string.Create(CultureInfo.InvariantCulture,
            $"{users} users for {length.TotalMinutes:0} min. Each user in turn: `POST /api/recordings/uploads`, one Put Blob of a recording of tests/fixtures/media ") +
            "(chrome-camera.webm, chrome-audio.webm, audio.ogg in turn) to the upload URL, `GET /api/recordings/{id}` every 0.5 s until it is settled (given up after " +
            string.Create(CultureInfo.InvariantCulture, $"{SettleLimit.TotalMinutes:0} min), `GET /api/recordings` every fifth round and `DELETE` every third recording. ") +
            "The dev host is a process of its own (event bridge polling every second, the timers on local.settings.sample.json's schedules, " +
            "logging at Warning) over a PostgreSQL cluster and an Azurite of the run's own (tests/Recorder.Testing `PrivateServices`: " +
            "fsync off, as the test profile), so their memory is theirs alone. After the users stop, the run waits until every recording is " +
            "settled and the invariants of tests/Recorder.Testing `RecordingInvariants` hold (at most " +
            string.Create(CultureInfo.InvariantCulture, $"{SettleLimit.TotalMinutes:0} min), then reports what it finds."));
        result.Section("Endpoints");
        result.Table(["Endpoint", "Requests", "Errors", "p50 ms", "p99 ms", "max ms"], endpoints.Select(endpoint => (IReadOnlyList<string>)
        [
            endpoint.Name,
            endpoint.Latencies.Count.ToString(CultureInfo.InvariantCulture),
            endpoint.Errors.IsEmpty ? "0" : string.Join(", ", endpoint.Errors.Select(error => $"{error.Value} × {error.Key}")),
            Latencies.Ms(endpoint.Latencies.Percentile(50)),
            Latencies.Ms(endpoint.Latencies.Percentile(99)),
            Latencies.Ms(endpoint.Latencies.Max),
        ]));
        result.Section("Ingest");
        result.Table(["Figure", "Value"],
        [
            ["recordings uploaded", outcomes.Values.Sum().ToString(CultureInfo.InvariantCulture)],
            ["settled as seen by their user", string.Join(", ", outcomes.OrderBy(outcome => outcome.Key, StringComparer.Ordinal).Select(outcome => $"{outcome.Value} {outcome.Key}"))],
            ["upload end → completed, p50 / p99 / max ms", $"{Latencies.Ms(uploadToCompleted.Percentile(50))} / {Latencies.Ms(uploadToCompleted.Percentile(99))} / {Latencies.Ms(uploadToCompleted.Max)}"],
            ["settled after the users stopped", string.Create(CultureInfo.InvariantCulture, $"{settledAfter.TotalSeconds:0.0} s")],
        ]);
        result.Line();
        result.Line("Upload end → completed: from the Put Blob's answer to the row's `completed_at` (same clock), so the event bridge's poll " +
            "(every second, standing in for Event Grid), the queue's polling and the probe, thumbnail and copy all count.");
        result.Section("Memory over time");
        result.Line("Proportional set size (PSS) of each process with its children: the dev host with its ffprobe/ffmpeg, PostgreSQL's postmaster with its backends, Azurite's node.");
        result.Line();
        result.Table(["s", "dev host MiB", "PostgreSQL MiB", "Azurite MiB"], samplesTaken.Select(sample => (IReadOnlyList<string>)
        [
            sample.At.TotalSeconds.ToString("0", CultureInfo.InvariantCulture), MiB(sample.HostKb), MiB(sample.PostgresKb), MiB(sample.AzuriteKb),
        ]));
        result.Section("At the end");
        result.Code(settled.ToString());
        result.Section("Outcome");
        result.Table(["Target", "Measured", "Met"],
        [
            ["recordings not terminal at the end = 0", settled.NotTerminal.Count.ToString(CultureInfo.InvariantCulture), settled.NotTerminal.Count == 0 ? "yes" : "**no**"],
            ["errors = 0 (requests and failed recordings)", errors.ToString(CultureInfo.InvariantCulture), errors == 0 ? "yes" : "**no**"],
            ["blobs without a row + rows without their blob = 0", orphans.ToString(CultureInfo.InvariantCulture), orphans == 0 ? "yes" : "**no**"],
            ["one ingest audit and one thumbnail per recording, outbox empty", $"{settled.IngestAudits.Count} / {settled.Thumbnails.Count} off, {settled.OutboxEntries} unsent", settled.Holds ? "yes" : "**no**"],
        ]);
        Console.WriteLine(result.Write(BenchServices.RepositoryRoot, options.Command));
        Console.WriteLine(settled);
        return settled.Holds && errors == 0 ? 0 : 1;
    }

    /// <summary>The bench host's settings over the private services, with the event bridge on and the sample settings' timers.</summary>
    private static Dictionary<string, string?> HostSettings(PrivateServices services)
    {
        var settings = BenchServices.AppSettings("soak-ingest");
        foreach (var (key, value) in services.ConnectionSettings())
        {
            settings[key] = value;
        }
        settings["DevHost:EventBridge"] = "true";
        foreach (var (key, value) in LocalSettings.ReadValues(Path.Combine(BenchServices.RepositoryRoot, "local.settings.sample.json")).Where(setting => setting.Key.EndsWith("Schedule", StringComparison.Ordinal)))
        {
            settings[key] = value;
        }
        return settings;
    }

    /// <summary>Waits (at most the settle limit) until the invariants hold; the last check either way.</summary>
    private static async Task<RecordingInvariantReport> SettleAsync(PrivateServices services)
    {
        var deadline = DateTime.UtcNow + SettleLimit;
        while (true)
        {
            var report = await RecordingInvariants.CheckAsync(services.MaintenanceConnectionString, services.Blobs(), services.Storage);
            if (report.Holds || DateTime.UtcNow > deadline)
            {
                return report;
            }
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>The memory of the three processes every few seconds (about 30 samples over the run) until cancelled.</summary>
    private static async Task<List<MemorySample>> SampleMemoryAsync(int hostId, PrivateServices services, Stopwatch clock, TimeSpan length, CancellationToken stopping)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(5, Math.Round(length.TotalSeconds / 30)));
        var samples = new List<MemorySample>();
        while (true)
        {
            samples.Add(new MemorySample(clock.Elapsed, ProcessMemory.TreePssKb(hostId),
                services.Postgres.PostmasterId is { } postmaster ? ProcessMemory.TreePssKb(postmaster) : 0,
                services.Azurite.ProcessId is { } azurite ? ProcessMemory.TreePssKb(azurite) : 0));
            try
            {
                await Task.Delay(interval, stopping);
            }
            catch (OperationCanceledException)
            {
                return samples;
            }
        }
    }

    private static string MiB(long kb) => (kb / 1024.0).ToString("0", CultureInfo.InvariantCulture);
}
