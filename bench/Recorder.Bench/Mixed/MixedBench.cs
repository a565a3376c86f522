using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Recorder.Bench.Common;
using Recorder.Bench.Ingest;
using Recorder.Core.Alerts;
using Recorder.Core.Lifecycle;
using Recorder.Testing;
using Recorder.Testing.Services;

namespace Recorder.Bench.Mixed;

/// <summary>
/// Issue 20's mixed load: on the database benchmark's data (<see cref="ScaleData"/>, a database of the run's own), five
/// workloads each measured alone, then all at once: upload URLs and list pages over HTTP against the bench host, real files
/// ingested through its webhook and queue worker, the retention sweep and the alert check as their timers run them.
/// </summary>
public static class MixedBench
{
    private const int UploadUsers = 1000;
    private const int HeavyListUsers = 100;
    private const int OtherListUsers = 900;

    // Between phases: the last ingests' seekable copies and the sweeper's cancelled batch settle before the next phase.
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var settings = new MixedSettings(
            Users: options.Int("users", 100_000),
            Recordings: options.Int("recordings", 10_000_000),
            WarmUp: TimeSpan.FromSeconds(options.Int("warmup-seconds", 10)),
            Solo: TimeSpan.FromSeconds(options.Int("solo-seconds", 45)),
            Mixed: TimeSpan.FromSeconds(options.Int("mixed-seconds", 180)),
            Concurrency: options.Int("concurrency", 8),
            ListConcurrency: options.Int("list-concurrency", options.Int("concurrency", 8)),
            UploadRate: options.Int("upload-rate", 0) is > 0 and var uploadRate ? uploadRate : null,
            ListRate: options.Int("list-rate", 0) is > 0 and var listRate ? listRate : null,
            IngestEvery: TimeSpan.FromMilliseconds(options.Int("ingest-every-ms", 2000)),
            AlertEvery: TimeSpan.FromSeconds(options.Int("alert-every-seconds", 5)),
            SweepBatches: options.Int("sweep-batches", 2),
            TimersAsShipped: !options.Flag("timers-repeated"));
        var log = new StringBuilder();
        void Note(string text)
        {
            var line = $"[{DateTime.UtcNow:HH:mm:ss}] {text}";
            Console.WriteLine(line);
            log.AppendLine(line);
        }

        var services = await BenchServices.CreateAsync("mixed");
        try
        {
            var loadSeconds = await ScaleData.GenerateAsync(services, settings.Users, settings.Recordings, Note);
            await using var maintenance = NpgsqlDataSource.Create(services.MaintenanceConnectionString);
            var shape = await ScaleData.DescribeAsync(maintenance);
            var (heavyCookies, otherCookies) = await SignInListUsersAsync(services, maintenance);
            var uploadCookies = await services.SignInUsersAsync(UploadUsers);
            var ingestCookie = (await services.SignInUsersAsync(1))[0];
            var media = await MediaFiles.ShortAsync(Path.Combine(BenchServices.RepositoryRoot, "bench", "media"));

            await using var host = await DevHostProcess.StartAsync(services.HostSettings(),
                Path.Combine(Path.GetTempPath(), "recorder-bench-mixed-host.log"));
            await using var core = services.CoreServices(new Dictionary<string, string?>
            {
                ["Lifecycle:MaxBatches"] = settings.SweepBatches.ToString(CultureInfo.InvariantCulture),
            });
            var uploads = BenchServices.Blobs().GetBlobContainerClient(services.Storage.UploadsContainer);
            IWorkload[] workloads =
            [
                new UploadUrlWorkload(host.BaseAddress, settings.Concurrency, settings.UploadRate, uploadCookies),
                new ListPageWorkload(host.BaseAddress, settings.ListConcurrency, settings.ListRate, heavyCookies, otherCookies),
                new IngestWorkload(host.BaseAddress, ingestCookie, media, uploads, maintenance, settings.IngestEvery),
                new RetentionSweepWorkload(core.GetRequiredService<RecordingLifecycleSweeper>(), settings.SweepBatches, maintenance),
                new AlertCheckWorkload(core.GetRequiredService<AlertsCheckService>(), settings.AlertEvery),
            ];
            var azurite = PhaseMeter.FindAzurite(BenchServices.Blobs().Uri);

            var solo = new List<PhaseResult>();
            foreach (var workload in workloads)
            {
                solo.Add(await PhaseAsync(
                    "solo: " + workload.Name, [workload], settings.WarmUp, settings.Solo, false, services, host, azurite, Note));
            }
            var mixed = await PhaseAsync("mixed", workloads, settings.WarmUp, settings.Mixed, settings.TimersAsShipped, services, host,
                azurite, Note);
            // Last and apart: the profiler costs the host CPU, so these phases are not the ones compared.
            var traced = new List<PhaseResult>();
            foreach (var workload in options.Flag("trace") ? workloads.OfType<IHttpWorkload>() : [])
            {
                traced.Add(await PhaseAsync("solo, dotnet-trace attached: " + workload.Name, [workload], settings.WarmUp, settings.Solo,
                    false, services, host, azurite, Note,
                    Path.Combine(Path.GetTempPath(), $"recorder-bench-mixed-{workload.Short.Replace(' ', '-')}.nettrace")));
            }

            var result = new ResultFile("mixed-load", "Mixed load: upload URLs, list pages, ingest, retention and alerts at once");
            MixedReport.Write(result, settings, loadSeconds, shape, media, workloads, solo, mixed, traced, azurite is not null, log.ToString());
            Console.WriteLine(result.Write(BenchServices.RepositoryRoot, options.Command));
        }
        finally
        {
            if (options.Flag("keep"))
            {
                Console.WriteLine($"kept database {services.Database}");
            }
            else
            {
                await services.DisposeAsync();
            }
        }
        return 0;
    }

    /// <summary>
    /// Sessions for the generated users the list pages are read for: the heaviest (most recordings) and others drawn at random,
    /// as the main app's sign-in leaves them.
    /// </summary>
    private static async Task<(IReadOnlyList<string> Heavy, IReadOnlyList<string> Others)> SignInListUsersAsync(
        BenchServices services, NpgsqlDataSource maintenance)
    {
        await using var connection = await maintenance.OpenConnectionAsync();
        var heavy = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT user_id FROM recordings GROUP BY user_id ORDER BY count(*) DESC LIMIT @HeavyListUsers",
            new { HeavyListUsers }, commandTimeout: 0))).ToArray();
        await using var owner = new NpgsqlConnection(services.OwnerConnectionString);
        var others = (await owner.QueryAsync<string>(
            "SELECT id FROM users WHERE id LIKE 'u%' AND id <> ALL(@heavy) ORDER BY random() LIMIT @OtherListUsers",
            new { heavy, OtherListUsers })).ToArray();
        return (await TestSessions.SignInExistingAsync(services.OwnerConnectionString, BenchServices.SessionSecret, heavy),
            await TestSessions.SignInExistingAsync(services.OwnerConnectionString, BenchServices.SessionSecret, others));
    }

    /// <summary>
    /// The workloads started together; the meter, and dotnet-trace on the host when <paramref name="traceFile"/> is given, run
    /// over the measured window only.
    /// </summary>
    private static async Task<PhaseResult> PhaseAsync(string name, IReadOnlyList<IWorkload> workloads, TimeSpan warmUp, TimeSpan duration,
        bool timersAsShipped, BenchServices services, HostProcess host, int? azurite, Action<string> note, string? traceFile = null)
    {
        note($"phase {name}: {warmUp.TotalSeconds:0} s warm-up, {duration.TotalSeconds:0} s measured" +
            (timersAsShipped ? ", timers at their shipped schedules" : ""));
        using var window = new PhaseWindow(warmUp, duration, timersAsShipped, alone: workloads.Count == 1);
        var running = workloads.Select(workload => Task.Run(() => workload.RunAsync(window))).ToList();
        await Task.Delay(warmUp);
        var tracing = traceFile is null ? null : HostTrace.CollectAsync(host.ProcessId, duration, traceFile);
        PhaseUsage usage;
        await using (var meter = await PhaseMeter.StartAsync(services.OwnerConnectionString, services.Database, host.ProcessId, azurite))
        {
            await Task.Delay(duration);
            usage = await meter.StopAsync();
        }
        var results = await Task.WhenAll(running);
        var profile = tracing is null ? null : await tracing;
        foreach (var (workload, result) in workloads.Zip(results))
        {
            note(string.Create(CultureInfo.InvariantCulture,
                $"  {workload.Name}: {result.Latencies.Count} samples, p50 {Latencies.Ms(result.Latencies.Percentile(50))} ms, ") +
                string.Create(CultureInfo.InvariantCulture,
                $"p99 {Latencies.Ms(result.Latencies.Percentile(99))} ms, {result.Throughput:0.0} {workload.ThroughputUnit}, ") +
                "errors " + result.ErrorText);
        }
        note(string.Create(CultureInfo.InvariantCulture, $"  machine {usage.BusyShare:P0} busy"));
        await Task.Delay(Settle);
        return new PhaseResult(name, workloads.Zip(results).ToDictionary(pair => pair.First, pair => pair.Second), usage,
            window.MeasureFrom, profile);
    }
}

/// <summary>The run's scale, lengths and rates, as the options gave them.</summary>
/// <param name="TimersAsShipped">
/// In the mixed phase the sweeper and the alert check keep their shipped schedules (each runs once, together, as at hh:30,
/// from the measured window's start); false (<c>--timers-repeated</c>): as often as alone.
/// </param>
/// <param name="UploadRate">Upload URLs a second as an open loop; null: a closed loop of <paramref name="Concurrency"/> clients.</param>
/// <param name="ListRate">List pages a second as an open loop; null: a closed loop of <paramref name="ListConcurrency"/> clients.</param>
public sealed record MixedSettings(int Users, int Recordings, TimeSpan WarmUp, TimeSpan Solo, TimeSpan Mixed, int Concurrency,
    int ListConcurrency, double? UploadRate, double? ListRate, TimeSpan IngestEvery, TimeSpan AlertEvery, int SweepBatches,
    bool TimersAsShipped);

/// <summary>
/// One phase: each workload's result, where the time went, when its measured window began (a Stopwatch timestamp), and the
/// host's profile over that window (a speedscope file) when the phase was traced.
/// </summary>
public sealed record PhaseResult(string Name, IReadOnlyDictionary<IWorkload, WorkloadResult> Results, PhaseUsage Usage, long MeasureFrom,
    string? Profile);
