using System.Diagnostics;
using System.Globalization;
using Dapper;
using Npgsql;
using Recorder.Bench.Common;
using Recorder.Core.Alerts;
using Recorder.Core.Audit;
using Recorder.Core.Lifecycle;
using Recorder.Testing;

namespace Recorder.Bench.Mixed;

/// <summary>
/// The LifecycleSweep timer's service, <see cref="RecordingLifecycleSweeper"/>, run after run as one timer instance runs it
/// (or once an hour, as shipped, from the window's start: <see cref="PhaseWindow.TimersAsShipped"/>), over the generated
/// recordings past retention. Their blobs were never uploaded: each deletion is Azurite's 404, which the
/// sweeper takes as done (DeleteIfExists), so a run costs its storage round trips but moves no bytes. The rows purged in the
/// window are counted from their audit entries (one a row, in the purge's statement), so a run longer than the window counts too.
/// </summary>
public sealed class RetentionSweepWorkload(RecordingLifecycleSweeper sweeper, int maxBatches, NpgsqlDataSource maintenance) : IWorkload
{
    private const string PurgedSql = "SELECT count(*) FROM audit_log WHERE action = @Action";

    // LifecycleSweepSchedule as shipped: "0 30 * * * *".
    public static readonly TimeSpan ShippedEvery = TimeSpan.FromHours(1);

    public string Name => $"Retention sweep (RecordingLifecycleSweeper, {maxBatches} batches of 500 a run)";

    public string Short => "retention sweep";

    public string Sample => "run";

    public string ThroughputUnit => "rows purged/s";

    public async Task<WorkloadResult> RunAsync(PhaseWindow window)
    {
        var purgedInWindow = PurgedInWindowAsync(window);
        using var statements = new OperationTimes(TestDatabases.MaintenanceRole);
        var (latencies, runs, errors, busy) = await Repeated.RunAsync(window, TimeSpan.Zero, ShippedEvery, sweeper.RunAsync);
        foreach (var (run, _) in runs)
        {
            errors.Add("blob deletions failed", run.PurgeFailures);
            errors.Add("skipped: another run held the lock", run.Skipped ? 1 : 0);
        }
        var purged = await purgedInWindow;
        var detail = string.Create(CultureInfo.InvariantCulture, $"{purged:N0} rows purged in the window; ") +
            string.Create(CultureInfo.InvariantCulture, $"{runs.Count} runs ended in it ") +
            string.Create(CultureInfo.InvariantCulture, $"({runs.Sum(run => (long)run.Result.Purged):N0} purged), each run's seconds: ") +
            string.Join(", ", runs.Select(run => run.Seconds.ToString("0.0", CultureInfo.InvariantCulture))) +
            Repeated.Statements(window, statements);
        return new WorkloadResult(latencies, errors.Total, errors.Kinds, purged / window.Duration.TotalSeconds, detail, busy);
    }

    private async Task<long> PurgedInWindowAsync(PhaseWindow window)
    {
        await PhaseWindow.UntilAsync(window.MeasureFrom);
        var before = await CountPurgedAsync();
        await PhaseWindow.UntilAsync(window.StopAt);
        return await CountPurgedAsync() - before;
    }

    private async Task<long> CountPurgedAsync()
    {
        await using var connection = await maintenance.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(PurgedSql, new { Action = AuditActions.RecordingPurge });
    }
}

/// <summary>
/// The AlertsCheck timer's service, <see cref="AlertsCheckService"/>, a run every <c>every</c> (one at a time), or every 10
/// minutes, as shipped, from the window's start (<see cref="PhaseWindow.TimersAsShipped"/>).
/// </summary>
public sealed class AlertCheckWorkload(AlertsCheckService alerts, TimeSpan every) : IWorkload
{
    // AlertsCheckSchedule as shipped: "0 */10 * * * *", so it fires at hh:30 with the hourly sweep.
    public static readonly TimeSpan ShippedEvery = TimeSpan.FromMinutes(10);

    public string Name => string.Create(CultureInfo.InvariantCulture,
        $"Alert check (AlertsCheckService, alone a run every {every.TotalSeconds:0} s)");

    public string Short => "alert check";

    public string Sample => "run";

    public string ThroughputUnit => "runs/min";

    public async Task<WorkloadResult> RunAsync(PhaseWindow window)
    {
        using var statements = new OperationTimes(TestDatabases.MaintenanceRole);
        var (latencies, runs, errors, busy) = await Repeated.RunAsync(window, every, ShippedEvery, alerts.RunAsync);
        foreach (var (run, _) in runs)
        {
            errors.Add("skipped: another run held the lock", run.Skipped ? 1 : 0);
        }
        var detail = runs.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
            $"{runs.Count} runs; {runs[^1].Result.Open:N0} alerts open after the last, ") +
            string.Create(CultureInfo.InvariantCulture, $"{runs.Sum(run => run.Result.Transitions.Count):N0} changes in all") +
            Repeated.Statements(window, statements);
        return new WorkloadResult(latencies, errors.Total, errors.Kinds, runs.Count / window.Duration.TotalMinutes, detail, busy);
    }
}

/// <summary>A timer's run repeated for a phase, as the Functions host's singleton timer runs it: never two at once.</summary>
public static class Repeated
{
    /// <summary>
    /// Alone in its phase, where its statements went (warm-up included: per run, not per window); beside other workloads
    /// nothing, since they too send statements as recorder_maintenance.
    /// </summary>
    public static string Statements(PhaseWindow window, OperationTimes statements)
        => window.Alone && statements.DatabaseCommands > 0
            ? string.Create(CultureInfo.InvariantCulture,
                $"; its {statements.DatabaseCommands:N0} statements took {statements.DatabaseSeconds:0.0} s (sent → read), most: ") +
                statements.LongestStatements(3)
            : "";

    /// <summary>
    /// Runs <paramref name="run"/> until the window ends, each run <paramref name="every"/> after the previous one started (at
    /// once if it took longer), from the warm-up's start; in a window with <see cref="PhaseWindow.TimersAsShipped"/>, every
    /// <paramref name="shippedEvery"/> from the measured window's start instead, as a timer that fires then would. Runs that
    /// ended inside the window count, whenever they began (a sweeper run may outlast the warm-up, under the phase's load all
    /// along); one still going at the end is cancelled, as the host cancels a run when it stops, and left out of the figures
    /// but not of <c>Busy</c>, when each run went. A run that throws is an error of its exception's type.
    /// </summary>
    public static async Task<(Latencies Latencies, List<(T Result, double Seconds)> Runs, ErrorCounts Errors, List<(long From, long To)> Busy)>
        RunAsync<T>(PhaseWindow window, TimeSpan every, TimeSpan shippedEvery, Func<CancellationToken, Task<T>> run)
    {
        var latencies = new Latencies();
        var runs = new List<(T, double)>();
        var errors = new ErrorCounts();
        var busy = new List<(long, long)>();
        if (window.TimersAsShipped)
        {
            every = shippedEvery;
            await PhaseWindow.UntilAsync(window.MeasureFrom);
        }
        while (!window.Ended)
        {
            var started = Stopwatch.GetTimestamp();
            var pause = every;
            try
            {
                var result = await run(window.Stopping);
                var ended = Stopwatch.GetTimestamp();
                busy.Add((started, ended));
                if (window.EndedInside(ended))
                {
                    latencies.Add(Stopwatch.GetElapsedTime(started, ended), started);
                    runs.Add((result, Stopwatch.GetElapsedTime(started, ended).TotalSeconds));
                }
            }
            catch (OperationCanceledException) when (window.Stopping.IsCancellationRequested)
            {
                busy.Add((started, Stopwatch.GetTimestamp()));
                break;
            }
            catch (Exception exception)
            {
                busy.Add((started, Stopwatch.GetTimestamp()));
                if (window.EndedInside(Stopwatch.GetTimestamp()))
                {
                    errors.Add(exception);
                }
                // A run that fails at once must not turn into a busy loop.
                pause = TimeSpan.FromSeconds(Math.Max(1, every.TotalSeconds));
            }
            var wait = pause - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, window.Stopping);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        return (latencies, runs, errors, busy);
    }
}
