using System.Net;
using System.Text;
using Recorder.Bench.Common;
using Recorder.Testing.Services;

namespace Recorder.Bench.Uploads;

/// <summary>
/// (a) <c>POST /api/recordings/uploads</c> through the dev host (real PostgreSQL, Azurite account-key SAS) at a fixed
/// concurrency, against the host's cheapest function (<see cref="BenchPing"/>) in the same run.
/// </summary>
public static class UploadsBench
{
    private const int Users = 1000;

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var concurrency = options.Int("concurrency", 32);
        var warmUp = TimeSpan.FromSeconds(options.Int("warmup-seconds", 10));
        var duration = TimeSpan.FromSeconds(options.Int("seconds", 30));

        await using var services = await BenchServices.CreateAsync("uploads");
        var cookies = await services.SignInUsersAsync(Users);
        await using var host = await DevHostProcess.StartAsync(services.HostSettings(), Path.Combine(Path.GetTempPath(), "recorder-bench-uploads-host.log"));

        // Ceiling first, then the API, then the ceiling again: a drift in the machine's load shows as a difference between the two.
        var cpu = new Dictionary<LoadResult, (double Host, double Database)>();
        async Task<LoadResult> MeteredAsync(HostProcess server, Func<Task<LoadResult>> run)
        {
            var load = run();
            await Task.Delay(warmUp);
            var before = CpuMeter.Sample(server.ProcessId, services.Database);
            await Task.Delay(duration);
            var after = CpuMeter.Sample(server.ProcessId, services.Database);
            var result = await load;
            cpu[result] = (after.ProcessSeconds - before.ProcessSeconds, after.DatabaseSeconds - before.DatabaseSeconds);
            return result;
        }

        var ping = await MeteredAsync(host, () => PingAsync(host, concurrency, warmUp, duration));
        var uploads = await MeteredAsync(host, () => LoadGenerator.RunAsync("POST /api/recordings/uploads", host.BaseAddress, concurrency, warmUp, duration,
            (worker, n) => UploadRequest(cookies[(int)(n % Users)], n), HttpStatusCode.Created));
        var pingAfter = await MeteredAsync(host, () => PingAsync(host, concurrency, warmUp, duration));

        // The same API with Npgsql's automatic statement preparation, a connection-string setting (no code change):
        // each statement is parsed and planned once per connection instead of on every request.
        var prepared = services.HostSettings();
        prepared["Database:AppConnectionString"] += ";Max Auto Prepare=32;Auto Prepare Min Usages=2";
        await using var preparedHost = await DevHostProcess.StartAsync(prepared, Path.Combine(Path.GetTempPath(), "recorder-bench-uploads-host-prepared.log"));
        var uploadsPrepared = await MeteredAsync(preparedHost, () => LoadGenerator.RunAsync("POST /api/recordings/uploads, Max Auto Prepare=32", preparedHost.BaseAddress, concurrency, warmUp, duration,
            (worker, n) => UploadRequest(cookies[(int)(n % Users)], n), HttpStatusCode.Created));

        var result = new ResultFile("upload-urls", "Upload URLs: POST /api/recordings/uploads against the dev host's ceiling");
        var ceiling = Math.Max(ping.RequestsPerSecond, pingAfter.RequestsPerSecond);
        var ratio = uploads.RequestsPerSecond / ceiling;
        var p99 = uploads.Latencies.Percentile(99);
        result.Line((string.Create(ResultFile.Invariant, $"Each run: {concurrency} concurrent keep-alive connections, {warmUp.TotalSeconds:0} s warm-up (not counted), then {duration.TotalSeconds:0} s measured. ") +
            string.Create(ResultFile.Invariant, $"The dev host is a separate process (bench host = DevHostApp with the app's functions plus an empty anonymous GET, `BenchPing`); ") +
            string.Create(ResultFile.Invariant, $"the API requests come from {Users} signed-in users (session cookie → sessions row, as the main app), each request a new recording ") +
            "(quota check under the user's advisory lock, insert, audit row, account-key SAS for Azurite). Logging at Warning in both."));
        result.Section("Figures");
        result.Table(["Endpoint", "Requests/s", "p50 ms", "p99 ms", "max ms", "Succeeded", "Errors", "Host CPU µs/request", "PostgreSQL CPU µs/request"],
            new[] { ping, uploads, pingAfter, uploadsPrepared }.Select((run, i) => (IReadOnlyList<string>)
            [
                i == 0 ? "GET /api/bench/ping (before)" : i == 2 ? "GET /api/bench/ping (after)" : run.Name,
                run.RequestsPerSecond.ToString("0", ResultFile.Invariant),
                Latencies.Ms(run.Latencies.Percentile(50)),
                Latencies.Ms(run.Latencies.Percentile(99)),
                Latencies.Ms(run.Latencies.Max),
                run.Succeeded.ToString(ResultFile.Invariant),
                run.Errors == 0 ? "0" : $"{run.Errors} ({string.Join(", ", run.ErrorKinds.Select(e => $"{e.Key}: {e.Value}"))})",
                (cpu[run].Host * 1e6 / Math.Max(1, run.Succeeded)).ToString("0", ResultFile.Invariant),
                (cpu[run].Database * 1e6 / Math.Max(1, run.Succeeded)).ToString("0", ResultFile.Invariant),
            ]));
        result.Line();
        result.Line("CPU per request: user + system time of the host process and of the PostgreSQL backends of this run's database over the measured window, " +
            "divided by the requests answered in it (the load generator and Azurite are not counted).");
        result.Section("Against the targets");
        result.Table(["Target", "Measured", "Met"],
        [
            ["throughput ≥ 50 % of the ceiling (the better ping run)", string.Create(ResultFile.Invariant, $"{ratio:P0} ({uploads.RequestsPerSecond:0} / {ceiling:0} req/s)"), ratio >= 0.5 ? "yes" : "**no**"],
            ["p99 ≤ 25 ms", Latencies.Ms(p99) + " ms", p99 <= 25 ? "yes" : "**no**"],
            ["no errors", uploads.Errors.ToString(ResultFile.Invariant), uploads.Errors == 0 ? "yes" : "**no**"],
        ]);
        result.Section("Latency histogram, POST /api/recordings/uploads");
        result.Code(uploads.Latencies.Histogram());
        Console.WriteLine(result.Write(BenchServices.RepositoryRoot, options.Command));
        Console.WriteLine(string.Create(ResultFile.Invariant, $"uploads {uploads.RequestsPerSecond:0} req/s p99 {p99:0.0} ms; ceiling {ceiling:0} req/s; ratio {ratio:P0}"));
        return 0;
    }

    private static Task<LoadResult> PingAsync(HostProcess host, int concurrency, TimeSpan warmUp, TimeSpan duration)
        => LoadGenerator.RunAsync("GET /api/bench/ping", host.BaseAddress, concurrency, warmUp, duration,
            (_, _) => new HttpRequestMessage(HttpMethod.Get, "api/" + BenchPing.Route), HttpStatusCode.OK);

    private static HttpRequestMessage UploadRequest(string cookie, long n)
    {
        var body = $"{{\"title\":\"Bench recording {n}\",\"recordingType\":\"camera\",\"mimeType\":\"video/webm;codecs=vp8,opus\",\"fileSize\":1048576}}";
        var request = new HttpRequestMessage(HttpMethod.Post, "api/recordings/uploads") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Cookie", cookie);
        return request;
    }
}
