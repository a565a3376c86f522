using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Dapper;
using Npgsql;
using Recorder.Bench.Common;
using Recorder.Testing.Services;

namespace Recorder.Bench.Uploads;

/// <summary>
/// (a) <c>POST /api/recordings/uploads</c> through the dev host (real PostgreSQL, Azurite account-key SAS) at a fixed
/// concurrency, against its floor in the same run: pgbench running the statements one request runs, prepared, at the
/// same concurrency against the same database (upload-url.pgbench.sql).
/// </summary>
public static class UploadsBench
{
    private const int Users = 1000;

    // The floor's sessions: numeric ids, since pgbench's variables are numbers (see the script).
    private const string FloorSessionsSql = """
        INSERT INTO sessions (sid, sess, expire)
        SELECT (1000000 + row_number() OVER (ORDER BY sid) - 1)::text, sess, expire FROM sessions
        """;

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var concurrency = options.Int("concurrency", 32);
        var warmUp = TimeSpan.FromSeconds(options.Int("warmup-seconds", 10));
        var duration = TimeSpan.FromSeconds(options.Int("seconds", 30));
        var script = await File.ReadAllTextAsync(Path.Combine(BenchServices.RepositoryRoot, "bench", "Recorder.Bench", "Uploads",
            "upload-url.pgbench.sql"));

        await using var services = await BenchServices.CreateAsync("uploads");
        var cookies = await services.SignInUsersAsync(Users);
        await using (var owner = new NpgsqlConnection(services.OwnerConnectionString))
        {
            await owner.ExecuteAsync(FloorSessionsSql);
        }

        var cpu = new Dictionary<LoadResult, (double Host, double Database)>();
        string? profile = null;
        var warmUpSeries = new List<SeriesWindow>();
        // Samples the host's and PostgreSQL's CPU every SeriesStep from the load's start into series (when given), and over the
        // measured window into cpu; requests are counted by their sequence numbers (started, within a few in flight of answered).
        async Task<LoadResult> MeteredAsync(HostProcess server, Func<Task<LoadResult>> run, StrongBox<long> started, bool traced,
            List<SeriesWindow>? series)
        {
            var clock = Stopwatch.StartNew();
            var load = run();
            var last = (Cpu: CpuMeter.Sample(server.ProcessId, services.Database), Requests: 0L, At: TimeSpan.Zero);
            async Task WaitUntilAsync(TimeSpan until)
            {
                while (clock.Elapsed < until)
                {
                    await Task.Delay(Min(SeriesStep, until - clock.Elapsed));
                    var now = (Cpu: CpuMeter.Sample(server.ProcessId, services.Database), Requests: Interlocked.Read(ref started.Value),
                        At: clock.Elapsed);
                    var requests = Math.Max(1, now.Requests - last.Requests);
                    series?.Add(new SeriesWindow(now.At, requests / (now.At - last.At).TotalSeconds,
                        (now.Cpu.ProcessSeconds - last.Cpu.ProcessSeconds) * 1e6 / requests,
                        (now.Cpu.DatabaseSeconds - last.Cpu.DatabaseSeconds) * 1e6 / requests));
                    last = now;
                }
            }
            await WaitUntilAsync(warmUp);
            var traceFile = Path.Combine(Path.GetTempPath(), "recorder-bench-uploads-host.nettrace");
            var tracing = traced ? HostTrace.CollectAsync(server.ProcessId, duration, traceFile) : null;
            var before = CpuMeter.Sample(server.ProcessId, services.Database);
            await WaitUntilAsync(warmUp + duration);
            var after = CpuMeter.Sample(server.ProcessId, services.Database);
            var result = await load;
            cpu[result] = (after.ProcessSeconds - before.ProcessSeconds, after.DatabaseSeconds - before.DatabaseSeconds);
            if (tracing is not null)
            {
                profile = await tracing;
            }
            return result;
        }
        async Task<LoadResult> FloorAsync(string name)
        {
            var (result, databaseSeconds) = await Pgbench.RunAsync(name, services.AppConnectionString, script, concurrency, warmUp, duration);
            cpu[result] = (0, databaseSeconds);
            return result;
        }
        async Task<LoadResult> EndpointAsync(string name, string connectionOptions, bool traced = false,
            List<SeriesWindow>? series = null)
        {
            var settings = services.HostSettings();
            settings["Database:AppConnectionString"] += connectionOptions;
            await using var host = await DevHostProcess.StartAsync(settings, Path.Combine(Path.GetTempPath(), "recorder-bench-uploads-host.log"));
            var started = new StrongBox<long>();
            return await MeteredAsync(host, () => LoadGenerator.RunAsync(name, host.BaseAddress, concurrency, warmUp, duration,
                (worker, n) =>
                {
                    InterlockedMax(ref started.Value, n);
                    return UploadRequest(cookies[(int)(n % Users)], n);
                }, HttpStatusCode.Created), started, traced, series);
        }

        // Floor first, then the API, then the floor again: a drift in the machine's load shows as a difference between the two.
        var floor = await FloorAsync("pgbench, the request's statements prepared (before)");
        var uploads = await EndpointAsync("POST /api/recordings/uploads", "", series: warmUpSeries);
        var withReset = await EndpointAsync(
            "POST /api/recordings/uploads, No Reset On Close=false (Npgsql resets each returned connection)", ";No Reset On Close=false");
        var unprepared = await EndpointAsync("POST /api/recordings/uploads, Max Auto Prepare=0 (no preparation)", ";Max Auto Prepare=0");
        var floorAfter = await FloorAsync("pgbench, the request's statements prepared (after)");
        // What the recording-events channel costs (migration 035): pg_notify serializes the commits of notifying transactions.
        await SetChannelAsync(services.OwnerConnectionString, on: false);
        var floorSilent = await FloorAsync("pgbench, the same, recording-events channel off");
        var uploadsSilent = await EndpointAsync("POST /api/recordings/uploads, recording-events channel off", "");
        await SetChannelAsync(services.OwnerConnectionString, on: true);
        // Fewer connections than clients: requests queue in Npgsql's pool (first come, first served) instead of all 32 running
        // in PostgreSQL at once (--pool-sizes, BENCH_UPLOADS_POOL_SIZES).
        var pooled = new List<LoadResult>();
        foreach (var size in (options.Text("pool-sizes") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            pooled.Add(await EndpointAsync($"POST /api/recordings/uploads, Maximum Pool Size={size}", $";Maximum Pool Size={size}"));
        }
        // Last and apart: the profiler costs the host CPU, so this run is not the one compared with the floor.
        LoadResult? traced = options.Flag("trace")
            ? await EndpointAsync("POST /api/recordings/uploads, dotnet-trace attached (not compared)", "", traced: true)
            : null;

        var result = new ResultFile("upload-urls", "Upload URLs: POST /api/recordings/uploads against pgbench running its statements");
        var floorRate = Math.Max(floor.RequestsPerSecond, floorAfter.RequestsPerSecond);
        var ratio = uploads.RequestsPerSecond / floorRate;
        var p99 = uploads.Latencies.Percentile(99);
        result.Line(string.Create(ResultFile.Invariant, $"Each run: {concurrency} concurrent clients, {warmUp.TotalSeconds:0} s warm-up ") +
            "(not counted: the host's tiered JIT compiles meanwhile), " +
            string.Create(ResultFile.Invariant, $"then {duration.TotalSeconds:0} s measured. ") +
            $"The endpoint: the dev host as a separate process (DevHostApp with the app's functions), {Users} signed-in users (session cookie → sessions row, " +
            "as the main app), each request a new recording (session lookup, then one round trip: set_config with the quota's advisory lock, then " +
            "one statement reading the usage and inserting the recording and its audit row, as one implicit transaction; account-key SAS for " +
            "Azurite), keep-alive HTTP from this process. Logging at Warning. " +
            "The floor: `pgbench -M prepared -c " + concurrency + " -j 2` (Debian's pgbench 15: the npm server package ships only initdb, pg_ctl and postgres) " +
            "running bench/Recorder.Bench/Uploads/upload-url.pgbench.sql — the same statements as recorder_app against the same database, " +
            "for the same 1000 users — with no HTTP, no host and no SAS. The runs with the recording-events channel off ran with " +
            "`recording_events_settings.channel` false (docs/notifications.md): the triggers still write the outbox row, and no transaction " +
            "calls pg_notify.");
        result.Section("Figures");
        result.Table(["Run", "Requests/s", "p50 ms", "p99 ms", "max ms", "Succeeded", "Errors", "Host CPU µs/request", "PostgreSQL CPU µs/request"],
            new[] { floor, uploads, withReset, unprepared, floorAfter, floorSilent, uploadsSilent }.Concat(pooled).Append(traced).OfType<LoadResult>().Select(run => (IReadOnlyList<string>)
            [
                run.Name,
                run.RequestsPerSecond.ToString("0", ResultFile.Invariant),
                Latencies.Ms(run.Latencies.Percentile(50)),
                Latencies.Ms(run.Latencies.Percentile(99)),
                Latencies.Ms(run.Latencies.Max),
                run.Succeeded.ToString(ResultFile.Invariant),
                run.Errors == 0 ? "0" : $"{run.Errors} ({string.Join(", ", run.ErrorKinds.Select(e => $"{e.Key}: {e.Value}"))})",
                cpu[run].Host == 0 ? "–" : (cpu[run].Host * 1e6 / Math.Max(1, run.Succeeded)).ToString("0", ResultFile.Invariant),
                (cpu[run].Database * 1e6 / Math.Max(1, run.Succeeded)).ToString("0", ResultFile.Invariant),
            ]));
        result.Line();
        result.Line("CPU per request: user + system time of the host process and of the PostgreSQL backends of this run's database over the measured window, " +
            "divided by the requests answered in it (the load generator, pgbench and Azurite are not counted).");
        result.Section("Against the targets");
        result.Table(["Target", "Measured", "Met"],
        [
            ["throughput ≥ 60 % of the floor (the better pgbench run)", string.Create(ResultFile.Invariant, $"{ratio:P0} ({uploads.RequestsPerSecond:0} / {floorRate:0} req/s)"), ratio >= 0.6 ? "yes" : "**no**"],
            ["p99 ≤ 50 ms", Latencies.Ms(p99) + " ms", p99 <= 50 ? "yes" : "**no**"],
            ["no errors", uploads.Errors.ToString(ResultFile.Invariant), uploads.Errors == 0 ? "yes" : "**no**"],
        ]);
        result.Section("Latency histogram, POST /api/recordings/uploads");
        result.Code(uploads.Latencies.Histogram());
        result.Section("CPU per request from the load's start, POST /api/recordings/uploads");
        result.Line(string.Create(ResultFile.Invariant, $"In steps of {SeriesStep.TotalSeconds:0} s from the start of the load; the ") +
            string.Create(ResultFile.Invariant, $"figures above are of the window after {warmUp.TotalSeconds:0} s. The host's CPU ") +
            "per request falls while the tiered JIT replaces first-call code with optimized code.");
        result.Line();
        result.Table(["Seconds from start", "Requests/s", "Host CPU µs/request", "PostgreSQL CPU µs/request"],
            warmUpSeries.Select(window => (IReadOnlyList<string>)
            [
                window.End.TotalSeconds.ToString("0", ResultFile.Invariant),
                window.RequestsPerSecond.ToString("0", ResultFile.Invariant),
                window.HostMicroseconds.ToString("0", ResultFile.Invariant),
                window.DatabaseMicroseconds.ToString("0", ResultFile.Invariant),
            ]));
        if (profile is not null)
        {
            HostTrace.WriteProfile(result, "Profile of the host (dotnet-trace, the traced run's measured window)", profile);
        }
        Console.WriteLine(result.Write(BenchServices.RepositoryRoot, options.Command));
        Console.WriteLine(string.Create(ResultFile.Invariant, $"uploads {uploads.RequestsPerSecond:0} req/s p99 {p99:0.0} ms; floor {floorRate:0} req/s; ratio {ratio:P0}"));
        return 0;
    }

    private static async Task SetChannelAsync(string ownerConnectionString, bool on)
    {
        await using var owner = new NpgsqlConnection(ownerConnectionString);
        await owner.ExecuteAsync("UPDATE recording_events_settings SET channel = @on", new { on });
    }

    private static readonly TimeSpan SeriesStep = TimeSpan.FromSeconds(10);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static void InterlockedMax(ref long target, long value)
    {
        var seen = Interlocked.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var actual && actual != seen)
        {
            seen = actual;
        }
    }

    /// <summary>One step of the CPU series: the window ending <paramref name="End"/> after the load's start.</summary>
    private sealed record SeriesWindow(TimeSpan End, double RequestsPerSecond, double HostMicroseconds, double DatabaseMicroseconds);

    private static HttpRequestMessage UploadRequest(string cookie, long n)
    {
        var body = $"{{\"title\":\"Bench recording {n}\",\"recordingType\":\"camera\",\"mimeType\":\"video/webm;codecs=vp8,opus\",\"fileSize\":1048576}}";
        var request = new HttpRequestMessage(HttpMethod.Post, "api/recordings/uploads") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Cookie", cookie);
        return request;
    }
}
