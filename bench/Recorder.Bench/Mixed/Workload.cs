using System.Collections.Concurrent;
using System.Diagnostics;
using Recorder.Bench.Common;

namespace Recorder.Bench.Mixed;

/// <summary>
/// One of the mixed-load benchmark's workloads: run for a warm-up (not counted) and a measured time, alone or beside the
/// others, with the same code either way.
/// </summary>
public interface IWorkload
{
    /// <summary>The row's name in the results file.</summary>
    string Name { get; }

    /// <summary>A column's name: its phase alone.</summary>
    string Short { get; }

    /// <summary>What one latency sample is, and the unit of the throughput.</summary>
    string Sample { get; }

    string ThroughputUnit { get; }

    Task<WorkloadResult> RunAsync(PhaseWindow window);
}

/// <summary>
/// What one workload measured in one phase; <paramref name="Detail"/> is a line for the results file; <paramref name="Runs"/>,
/// for a timer's workload, when each of its runs went (<see cref="Stopwatch"/> timestamps, a run cut off by the window's end
/// included).
/// </summary>
public sealed record WorkloadResult(Latencies Latencies, long Errors, IReadOnlyDictionary<string, long> ErrorKinds, double Throughput,
    string Detail = "", IReadOnlyList<(long From, long To)>? Runs = null)
{
    public static WorkloadResult FromLoad(LoadResult load)
        => new(load.Latencies, load.Errors, load.ErrorKinds, load.RequestsPerSecond);

    public string ErrorText => Errors == 0 ? "0" : $"{Errors} ({string.Join(", ", ErrorKinds.Select(e => $"{e.Key}: {e.Value}"))})";
}

/// <summary>
/// A phase's clock: a warm-up, then the measured window; <see cref="Stopping"/> is cancelled when the window ends.
/// <see cref="TimersAsShipped"/>: the timers' workloads keep their shipped schedules instead of running as often as a
/// phase alone measures them.
/// </summary>
public sealed class PhaseWindow : IDisposable
{
    private readonly CancellationTokenSource stopping;

    public PhaseWindow(TimeSpan warmUp, TimeSpan duration, bool timersAsShipped = false, bool alone = false)
    {
        WarmUp = warmUp;
        Duration = duration;
        TimersAsShipped = timersAsShipped;
        Alone = alone;
        var start = Stopwatch.GetTimestamp();
        MeasureFrom = start + (long)(warmUp.TotalSeconds * Stopwatch.Frequency);
        StopAt = MeasureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        stopping = new CancellationTokenSource(warmUp + duration);
    }

    public TimeSpan WarmUp { get; }

    public TimeSpan Duration { get; }

    public bool TimersAsShipped { get; }

    /// <summary>One workload in the phase: what the bench process sends as recorder_maintenance is all its own.</summary>
    public bool Alone { get; }

    public long MeasureFrom { get; }

    public long StopAt { get; }

    public CancellationToken Stopping => stopping.Token;

    public bool Ended => Stopwatch.GetTimestamp() >= StopAt;

    public bool EndedInside(long ended) => ended >= MeasureFrom && ended <= StopAt;

    /// <summary>Waits until <paramref name="timestamp"/> (a <see cref="Stopwatch"/> timestamp), at once if it has passed.</summary>
    public static Task UntilAsync(long timestamp)
        => Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp) is { Ticks: > 0 } wait ? Task.Delay(wait) : Task.CompletedTask;

    public void Dispose() => stopping.Dispose();
}

/// <summary>Errors by kind, counted from several tasks.</summary>
public sealed class ErrorCounts
{
    private readonly ConcurrentDictionary<string, long> kinds = new();

    public long Total => kinds.Values.Sum();

    public IReadOnlyDictionary<string, long> Kinds => kinds;

    /// <summary>An exception by its type and what caused it (a command timeout shows as NpgsqlException ← TimeoutException).</summary>
    public void Add(Exception exception)
        => Add(exception.InnerException is { } cause ? $"{exception.GetType().Name} ← {cause.GetType().Name}" : exception.GetType().Name);

    public void Add(string kind, long count = 1)
    {
        if (count > 0)
        {
            kinds.AddOrUpdate(kind, count, (_, n) => n + count);
        }
    }
}
