using System.Globalization;
using Recorder.Bench.Common;
using Recorder.Bench.Ingest;

namespace Recorder.Bench.Mixed;

/// <summary>bench/results/mixed-load.md: each workload alone and mixed side by side, the goals, and what bounds a missed one.</summary>
public static class MixedReport
{
    private const double ListP99GoalMs = 5;
    private const double UploadP99GoalRatio = 2;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void Write(ResultFile file, MixedSettings settings, double loadSeconds, string shape, IReadOnlyList<BenchMedia> media,
        IReadOnlyList<IWorkload> workloads, IReadOnlyList<PhaseResult> solo, PhaseResult mixed, IReadOnlyList<PhaseResult> traced,
        bool azuriteFound, string log)
    {
        file.Line(string.Create(Invariant,
            $"Data: {settings.Recordings:N0} recordings across {settings.Users:N0} users, generated as for the database benchmark ") +
            "(Common/ScaleData, tests/Recorder.Testing/Data/RealisticData.sql) in " +
            string.Create(Invariant, $"{loadSeconds:0} s, in a database of ") +
            "this run's own, dropped afterwards:");
        file.Code(shape);
        file.Line(string.Create(Invariant,
            $"Each workload alone for {settings.Solo.TotalSeconds:0} s, then all five at once for {settings.Mixed.TotalSeconds:0} s, ") +
            "in this order in one run; each phase after " +
            string.Create(Invariant, $"{settings.WarmUp.TotalSeconds:0} s of warm-up (not counted), ") +
            "with 5 s between phases. The bench host (the dev host as a process of its own, logging at Warning, its timers off) serves " +
            "HTTP, the Event Grid webhook and the ingest queue worker; the sweeper and the alert check run in this benchmark's process " +
            "through the app's own services (AddRecorderCore), as their timers call them. A request counts if it was sent and answered " +
            "inside the measured window, a sweeper or alert run if it ended inside it (a sweeper run may outlast the warm-up), an " +
            "ingest's latency if it started inside it, however late it settles (its throughput counts completions inside the window).");
        file.Line();
        file.Line($"- Upload URLs: {Loop(settings.Concurrency, settings.UploadRate)}, keep-alive HTTP, " +
            "1 000 signed-in users (session cookie → sessions row) in turn, each request a new 1 MiB recording.");
        file.Line($"- List pages: {Loop(settings.ListConcurrency, settings.ListRate)}; each client takes a user, " +
            "half the time one of the " +
            "100 with the most recordings, else one of 900 drawn at random, and walks " +
            string.Create(Invariant, $"1–{ListPageWorkload.MaxPages} ") +
            "keyset pages of 20 by `nextCursor` (each page also signs a read URL per thumbnail and writes its audit entry).");
        file.Line("- Ingest: " + string.Join(" and ", media.Select(m => string.Create(Invariant, $"{m.Name} ({m.Bytes:N0} bytes)"))) +
            string.Create(Invariant, $" in turn, one started every {settings.IngestEvery.TotalSeconds:0.#} s (open loop): upload URL, ") +
            "the file put to Azurite, then BlobCreated posted to the webhook; the figure is event posted → the row read `completed` " +
            "(polled every 20 ms), with event posted → a worker's claim (`ingest_attempts` counted) beside it. The WebMs' seekable " +
            "copies follow on the same queue and add to the load.");
        file.Line("- Retention sweep: RecordingLifecycleSweeper.RunAsync with `Lifecycle:MaxBatches` " +
            string.Create(Invariant, $"{settings.SweepBatches} (shipped: 50, a ceiling for a backlog) of the shipped 500 recordings: ") +
            "about what an hourly run finds in steady state at this scale (10 M recordings kept 365 days expire at about 1 100 " +
            "an hour). Alone, run after run. The generated recordings' blobs " +
            "were never uploaded: Azurite answers each delete 404, which the sweeper takes as done (DeleteIfExists), so a run pays " +
            "its storage round trips but moves no bytes. Figure: each run's duration; throughput: rows purged in the window per second " +
            "(from their audit entries, so a run longer than the window still counts).");
        file.Line("- Alert check: AlertsCheckService.RunAsync, alone a run every " +
            string.Create(Invariant, $"{settings.AlertEvery.TotalSeconds:0} s ") +
            "(at once if the last took longer), storage over every user, failure rates, no webhook.");
        file.Line(settings.TimersAsShipped
            ? "- Mixed, the two timers keep their shipped schedules: the sweep hourly at hh:30 (`LifecycleSweepSchedule`) and the " +
                "alert check every 10 minutes (`AlertsCheckSchedule`), so they fire together at hh:30; each runs once, both from the " +
                "measured window's start, and the table \"While the timers ran\" splits the requests by whether one was running."
            : "- Mixed (`--timers-repeated`): the two timers as often as alone, far above their shipped pace (hourly and every 10 minutes).");

        var columns = workloads.Select(workload => workload.Short + " alone").Append("mixed").ToList();
        var phases = solo.Append(mixed).ToList();
        file.Section("Alone and mixed");
        file.Table(
            ["Workload", "Figure", "Alone p50 ms", "Alone p99 ms", "Mixed p50 ms", "Mixed p99 ms", "Mixed / alone p99", "Throughput alone",
                "Throughput mixed", "Samples alone / mixed", "Errors alone / mixed"],
            workloads.Select((workload, i) =>
            {
                var (alone, both) = (solo[i].Results[workload], mixed.Results[workload]);
                return (IReadOnlyList<string>)
                [
                    workload.Name, workload.Sample,
                    Ms(alone.Latencies, 50), Ms(alone.Latencies, 99), Ms(both.Latencies, 50), Ms(both.Latencies, 99),
                    alone.Latencies.Count == 0 || both.Latencies.Count == 0 ? "–"
                        : (both.Latencies.Percentile(99) / alone.Latencies.Percentile(99)).ToString("0.00", Invariant) + "×",
                    $"{alone.Throughput.ToString("0.0", Invariant)} {workload.ThroughputUnit}",
                    $"{both.Throughput.ToString("0.0", Invariant)} {workload.ThroughputUnit}",
                    $"{alone.Latencies.Count} / {both.Latencies.Count}",
                    $"{alone.ErrorText} / {both.ErrorText}",
                ];
            }));
        file.Line();
        foreach (var (workload, i) in workloads.Select((workload, i) => (workload, i)))
        {
            if (solo[i].Results[workload].Detail is { Length: > 0 } alone)
            {
                file.Line($"- {workload.Short}, alone: {alone}; mixed: {mixed.Results[workload].Detail}.");
            }
        }

        WhileTimersRan(file, workloads, solo, mixed);

        var list = workloads.OfType<ListPageWorkload>().Single();
        var upload = workloads.OfType<UploadUrlWorkload>().Single();
        var listP99 = mixed.Results[list].Latencies.Percentile(99);
        var uploadRatio = mixed.Results[upload].Latencies.Percentile(99)
            / solo[Index(workloads, upload)].Results[upload].Latencies.Percentile(99);
        var errors = phases.SelectMany(phase => phase.Results.Values).Sum(result => result.Errors);
        file.Section("Against the goals");
        file.Table(["Goal", "Measured", "Met"],
        [
            [
                string.Create(Invariant, $"list page p99 ≤ {ListP99GoalMs:0} ms, mixed"), Latencies.Ms(listP99) + " ms",
                Met(listP99 <= ListP99GoalMs),
            ],
            [
                string.Create(Invariant, $"upload URL p99 ≤ {UploadP99GoalRatio:0}× its p99 alone"),
                uploadRatio.ToString("0.00", Invariant) + "×", Met(uploadRatio <= UploadP99GoalRatio),
            ],
            ["zero errors, every workload, alone and mixed", errors.ToString(Invariant), Met(errors == 0)],
        ]);

        file.Section("What bounds it");
        var missed = false;
        if (listP99 > ListP99GoalMs)
        {
            missed = true;
            file.Line("- " + Bound(list, listP99, ListP99GoalMs, solo[Index(workloads, list)], mixed));
        }
        if (uploadRatio > UploadP99GoalRatio)
        {
            missed = true;
            file.Line("- " + Bound(upload, mixed.Results[upload].Latencies.Percentile(99), null,
                solo[Index(workloads, upload)], mixed));
        }
        foreach (var phase in phases)
        {
            foreach (var (workload, result) in phase.Results.Where(result => result.Value.Errors > 0))
            {
                missed = true;
                file.Line($"- Errors of {workload.Short} ({phase.Name}): {result.ErrorText}.");
            }
        }
        if (!missed)
        {
            file.Line("Every goal was met; the tables below show how much room was left.");
        }
        file.Line();
        file.Line("CPU by process over each measured window, in cores (CPU seconds per second; the machine has " +
            Environment.ProcessorCount.ToString(Invariant) + "). \"Its ffprobe/ffmpeg\" counts the host's child processes " +
            "that ended in the " +
            "window; PostgreSQL counts the backends of this run's database alive at both ends of it" +
            (azuriteFound ? "; Azurite serves other runs too." : "; Azurite was not found on this machine (counted in everything else)."));
        file.Line();
        var consumers = phases.SelectMany(phase => phase.Usage.Cores.Keys).Distinct().ToList();
        file.Table(["CPU (cores)", .. columns], consumers.Select(consumer => (IReadOnlyList<string>)
            [consumer, .. phases.Select(phase => Cores(phase.Usage, consumer))]));
        file.Line();
        file.Line("This run's PostgreSQL backends, sampled from pg_stat_activity every 100 ms: the average number in each state " +
            "(average active sessions). `Lock:` rows are lock waits; idle in transaction is a transaction held open while its " +
            "client works.");
        file.Line();
        var states = mixed.Usage.Backends.OrderByDescending(state => state.Value).Select(state => state.Key)
            .Concat(phases.SelectMany(phase => phase.Usage.Backends.Keys)).Distinct().Take(15).ToList();
        file.Table(["Backends (average)", .. columns], states.Select(state => (IReadOnlyList<string>)
            [state, .. phases.Select(phase => phase.Usage.Backends.GetValueOrDefault(state).ToString("0.000", Invariant))]));
        var targets = phases.SelectMany(phase => phase.Usage.LockTargets.Keys).Distinct().ToList();
        if (targets.Count > 0)
        {
            file.Line();
            file.Line("Lock waits by what they wait for (pg_locks not granted, sampled with the backends): the average number waiting; " +
                "and how often pg_notify's commit lock, one for the whole server, was held by this run's database or another one.");
            file.Line();
            file.Table(["Lock waited for", .. columns], targets.Select(target => (IReadOnlyList<string>)
                [target, .. phases.Select(phase => phase.Usage.LockTargets.GetValueOrDefault(target).ToString("0.000", Invariant))]));
        }
        foreach (var phase in traced)
        {
            var result = phase.Results.Values.Single();
            HostTrace.WriteProfile(file, "Profile of the host, " + phase.Name, phase.Profile!);
            file.Line();
            file.Line(string.Create(Invariant, $"That phase: {result.Throughput:0.0} requests/s, p50 {Latencies.Ms(result.Latencies.Percentile(50))} ms, ") +
                string.Create(Invariant, $"p99 {Latencies.Ms(result.Latencies.Percentile(99))} ms with the profiler attached; the host ") +
                Cores(phase.Usage, PhaseMeter.Host) + " cores.");
        }
        file.Section("Run log");
        file.Code(log);
    }

    /// <summary>
    /// The HTTP workloads' mixed requests split by when they were sent: while a timer's run (the sweep, the alert check) was
    /// going, or while neither was: what the timers add, apart from what the steady traffic does to itself.
    /// </summary>
    private static void WhileTimersRan(ResultFile file, IReadOnlyList<IWorkload> workloads, IReadOnlyList<PhaseResult> solo, PhaseResult mixed)
    {
        var timerRuns = mixed.Results.Where(result => result.Value.Runs is { Count: > 0 })
            .Select(result => (result.Key.Short, Runs: result.Value.Runs!)).ToList();
        if (timerRuns.Count == 0)
        {
            return;
        }
        bool During(IReadOnlyList<(long From, long To)> runs, long at) => runs.Any(run => at >= run.From && at <= run.To);
        var slices = timerRuns.Select(timer => (Name: "while the " + timer.Short + " ran", Include: (Func<long, bool>)(at => During(timer.Runs, at))))
            .Append(("while neither ran", at => !timerRuns.Any(timer => During(timer.Runs, at))))
            .ToList();
        file.Section("While the timers ran");
        file.Line("The mixed phase's requests by when each was sent. Timer runs (start → end, seconds from the measured window's start): " +
            string.Join("; ", timerRuns.Select(timer => timer.Short + " " + string.Join(", ", timer.Runs.Select(run =>
                string.Create(Invariant, $"{Seconds(mixed, run.From):0.0} → {Seconds(mixed, run.To):0.0}"))))) + ".");
        file.Line();
        file.Table(["Workload", "Requests sent", "Count", "p50 ms", "p99 ms", "p99 × alone"],
            workloads.OfType<IHttpWorkload>().SelectMany(workload => slices.Select(slice =>
            {
                var part = mixed.Results[workload].Latencies.BeganWhen(slice.Include);
                var alone = solo[Index(workloads, workload)].Results[workload].Latencies.Percentile(99);
                return (IReadOnlyList<string>)
                [
                    workload.Short, slice.Name, part.Count.ToString(Invariant), Ms(part, 50), Ms(part, 99),
                    part.Count == 0 ? "–" : (part.Percentile(99) / alone).ToString("0.00", Invariant) + "×",
                ];
            })));
    }

    private static double Seconds(PhaseResult phase, long timestamp)
        => (timestamp - phase.MeasureFrom) / (double)System.Diagnostics.Stopwatch.Frequency;

    private static int Index(IReadOnlyList<IWorkload> workloads, IWorkload workload) => workloads.ToList().IndexOf(workload);

    private static string Met(bool met) => met ? "yes" : "**no**";

    // No sample in a phase (a sweeper run longer than the window): a dash, not NaN.
    private static string Ms(Latencies latencies, double percentile)
        => latencies.Count == 0 ? "–" : Latencies.Ms(latencies.Percentile(percentile));

    private static string Cores(PhaseUsage usage, string consumer)
        => !usage.Cores.TryGetValue(consumer, out var cores) ? "–"
            : consumer == PhaseMeter.Busy ? string.Create(Invariant, $"{cores:0.00} ({usage.BusyShare:P0})")
            : cores.ToString("0.00", Invariant);

    private static string Loop(int clients, double? rate)
        => rate is { } perSecond
            ? string.Create(Invariant, $"an open loop of {perSecond:0} requests a second from {clients} clients, each request's ") +
                "latency counted from when it was due (a client held up by a slow answer counts the wait in its next request)"
            : string.Create(Invariant, $"{clients} clients in a closed loop (each sends its next request when the last answered)");

    /// <summary>
    /// A missed latency goal beside what its requests cost alone (host and PostgreSQL CPU per request; a closed loop's
    /// queueing by Little's law) and what the mixed phase measured: saturated CPUs, lock waits, or neither.
    /// </summary>
    private static string Bound(IHttpWorkload workload, double p99, double? goalMs, PhaseResult alone, PhaseResult mixed)
    {
        var clients = workload.Clients;
        var own = alone.Results[workload];
        string PerRequestMs(string consumer)
            => (alone.Usage.Cores.GetValueOrDefault(consumer) / Math.Max(own.Throughput, 0.001) * 1000).ToString("0.00", Invariant);
        var top = mixed.Usage.Cores.Where(core => core.Key != PhaseMeter.Busy).OrderByDescending(core => core.Value).Take(4)
            .Select(core => string.Create(Invariant, $"{core.Key} {core.Value:0.00}"));
        var locks = mixed.Usage.LockTargets.Where(target => !target.Key.StartsWith(PhaseMeter.NotifyHeldBy, StringComparison.Ordinal))
            .OrderByDescending(target => target.Value).Take(3)
            .Select(target => string.Create(Invariant, $"{target.Key} {target.Value:0.000}")).ToList();
        var aloneP99 = own.Latencies.Percentile(99);
        var text = string.Create(Invariant, $"{workload.Short}: p99 {Latencies.Ms(aloneP99)} ms alone, {Latencies.Ms(p99)} ms mixed. ") +
            $"Alone, a request cost {PerRequestMs(PhaseMeter.Host)} ms of the host's CPU and {PerRequestMs(PhaseMeter.Database)} ms " +
            string.Create(Invariant, $"of PostgreSQL's (cores ÷ requests/s), with the CPUs {alone.Usage.BusyShare:P0} busy; ") +
            (workload.Rate is null
                ? string.Create(Invariant, $"its mean latency, {Latencies.Ms(own.Latencies.Mean)} ms, is what {clients} closed-loop ") +
                    string.Create(Invariant, $"clients give at {own.Throughput:0} requests/s (Little's law: ") +
                    string.Create(Invariant, $"{clients * 1000 / Math.Max(own.Throughput, 0.001):0.0} ms), ") +
                    "so much of it is waiting behind the other clients' requests. "
                : string.Create(Invariant, $"at its fixed {own.Throughput:0} requests/s its mean latency was ") +
                    string.Create(Invariant, $"{Latencies.Ms(own.Latencies.Mean)} ms. ")) +
            (goalMs is { } goal && aloneP99 > goal
                ? string.Create(Invariant, $"Already alone above the {goal:0} ms goal: ") +
                    "the bound is the request's own path on these CPUs. "
                : "") +
            string.Create(Invariant, $"Mixed, the {Environment.ProcessorCount} CPUs were {mixed.Usage.BusyShare:P0} busy; the largest ") +
            "users, in cores: " + string.Join(", ", top) +
            string.Create(Invariant, $". Backends waiting on a lock: {mixed.Usage.LockWaits:0.000} on average ") +
            string.Create(Invariant, $"({alone.Usage.LockWaits:0.000} ") +
            "alone)" + (locks.Count > 0 ? " — " + string.Join(", ", locks) : "") + ". ";
        return text + (mixed.Usage.BusyShare >= 0.9 && mixed.Usage.LockWaits >= 0.05
            ? "The CPUs were saturated and backends waited on locks too: both lengthen the requests, and the lock waits are the " +
                "part more CPUs alone would not remove."
            : mixed.Usage.BusyShare >= 0.9
            ? "The CPUs were saturated, so requests queued for a CPU: that is the bound measured here."
            : mixed.Usage.LockWaits >= 0.05
                ? "The CPUs had room, and backends waited on locks: the lock waits bound it (see the tables below)."
                : "Neither saturated CPUs nor lock waits: see the backends table for the waits that remain.");
    }
}
