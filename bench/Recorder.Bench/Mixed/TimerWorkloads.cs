using System.Diagnostics;
using System.Globalization;
using Dapper;
using Npgsql;
using Recorder.Bench.Common;
using Recorder.Core.Alerts;
using Recorder.Core.Audit;
using Recorder.Core.Lifecycle;

namespace Recorder.Bench.Mixed;

/// <summary>
/// The LifecycleSweep timer's service, <see cref="RecordingLifecycleSweeper"/>, run after run as one timer instance runs it,
/// over the generated recordings past retention. Their blobs were never uploaded: each deletion is Azurite's 404, which the
/// sweeper takes as done (DeleteIfExists), so a run costs its storage round trips but moves no bytes. The rows purged in the
/// window are counted from their audit entries (one a row, in the purge's statement), so a run longer than the window counts too.
/// </summary>
public sealed class RetentionSweepWorkload(RecordingLifecycleSweeper sweeper, int maxBatches, NpgsqlDataSource maintenance) : IWorkload
{
    private const string PurgedSql = "SELECT count(*) FROM audit_log WHERE action = @Action";

    public string Name => $"Retention sweep (RecordingLifecycleSweeper, run after run, {maxBatches} batches of 500 a run)";

    public string Short => "retention sweep";

    public string Sample => "run";

    public string ThroughputUnit => "rows purged/s";

    public async Task<WorkloadResult> RunAsync(PhaseWindow window)
    {
        var purgedInWindow = PurgedInWindowAsync(window);
        var (latencies, runs, errors) = await Repeated.RunAsync(window, TimeSpan.Zero, sweeper.RunAsync);
        foreach (var (run, _) in runs)
        {
            errors.Add("blob deletions failed", run.PurgeFailures);
            errors.Add("skipped: another run held the lock", run.Skipped ? 1 : 0);
        }
        var purged = await purgedInWindow;
        var detail = string.Create(CultureInfo.InvariantCulture, $"{purged:N0} rows purged in the window; ") +
            string.Create(CultureInfo.InvariantCulture, $"{runs.Count} runs ended in it ") +
            string.Create(CultureInfo.InvariantCulture, $"({runs.Sum(run => (long)run.Result.Purged):N0} purged), each run's seconds: ") +
            string.Join(", ", runs.Select(run => run.Seconds.ToString("0.0", CultureInfo.InvariantCulture)));
        return new WorkloadResult(latencies, errors.Total, errors.Kinds, purged / window.Duration.TotalSeconds, detail);
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

/// <summary>The AlertsCheck timer's service, <see cref="AlertsCheckService"/>, a run every <c>every</c> (one at a time).</summary>
public sealed class AlertCheckWorkload(AlertsCheckService alerts, TimeSpan every) : IWorkload
{
    public string Name => string.Create(CultureInfo.InvariantCulture,
        $"Alert check (AlertsCheckService, a run every {every.TotalSeconds:0} s)");

    public string Short => "alert check";

    public string Sample => "run";

    public string ThroughputUnit => "runs/min";

    public async Task<WorkloadResult> RunAsync(PhaseWindow window)
    {
        var (latencies, runs, errors) = await Repeated.RunAsync(window, every, alerts.RunAsync);
        foreach (var (run, _) in runs)
        {
            errors.Add("skipped: another run held the lock", run.Skipped ? 1 : 0);
        }
        var detail = runs.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
            $"{runs.Count} runs; {runs[^1].Result.Open:N0} alerts open after the last, ") +
            string.Create(CultureInfo.InvariantCulture, $"{runs.Sum(run => run.Result.Transitions.Count):N0} changes in all");
        return new WorkloadResult(latencies, errors.Total, errors.Kinds, runs.Count / window.Duration.TotalMinutes, detail);
    }
}

/// <summary>A timer's run repeated for a phase, as the Functions host's singleton timer runs it: never two at once.</summary>
public static class Repeated
{
    /// <summary>
    /// Runs <paramref name="run"/> until the window ends, each run <paramref name="every"/> after the previous one started (at
    /// once if it took longer). Runs that ended inside the window count, whenever they began (a sweeper run may outlast the
    /// warm-up, under the phase's load all along); one still going at the end is cancelled, as the host cancels a run when it
    /// stops, and left out. A run that throws is an error of its exception's type.
    /// </summary>
    public static async Task<(Latencies Latencies, List<(T Result, double Seconds)> Runs, ErrorCounts Errors)> RunAsync<T>(
        PhaseWindow window, TimeSpan every, Func<CancellationToken, Task<T>> run)
    {
        var latencies = new Latencies();
        var runs = new List<(T, double)>();
        var errors = new ErrorCounts();
        while (!window.Ended)
        {
            var started = Stopwatch.GetTimestamp();
            var pause = every;
            try
            {
                var result = await run(window.Stopping);
                var ended = Stopwatch.GetTimestamp();
                if (window.EndedInside(ended))
                {
                    latencies.Add(Stopwatch.GetElapsedTime(started, ended));
                    runs.Add((result, Stopwatch.GetElapsedTime(started, ended).TotalSeconds));
                }
            }
            catch (OperationCanceledException) when (window.Stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
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
        return (latencies, runs, errors);
    }
}
