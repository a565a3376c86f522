using System.Collections.Concurrent;
using System.Diagnostics;
using Dapper;
using Npgsql;

namespace Recorder.Bench.Mixed;

/// <summary>
/// Reads, every 20 ms, where the awaited recordings are: one indexed query for all of them (as recorder_maintenance), so
/// watching costs the database the same however many are in flight. A recording is claimed once a worker has counted an
/// attempt (ingest_attempts), settled once it has left <c>uploading</c>/<c>processing</c>; both as Stopwatch timestamps.
/// Over the measured window it also counts how many are claimed and not settled: worked on at once by the host.
/// </summary>
internal sealed class CompletionWatcher : IAsyncDisposable
{
    private readonly ConcurrentDictionary<long, Watch> waiting = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly PhaseWindow window;
    private readonly Task polling;
    private long working;
    private long polls;

    public CompletionWatcher(NpgsqlDataSource maintenance, PhaseWindow window)
    {
        this.window = window;
        polling = PollAsync(maintenance);
    }

    public double WorkingAverage => (double)working / Math.Max(1, polls);

    public int WorkingMax { get; private set; }

    public Task<(string Status, long ClaimedAt, long SettledAt)> WaitAsync(long id)
        => waiting.GetOrAdd(id, _ => new Watch()).Settled.Task;

    private async Task PollAsync(NpgsqlDataSource maintenance)
    {
        await using var connection = await maintenance.OpenConnectionAsync();
        while (!stopping.IsCancellationRequested)
        {
            if (!waiting.IsEmpty)
            {
                var rows = await connection.QueryAsync<(long Id, string Status, bool Claimed)>(
                    "SELECT id, status::text, ingest_attempts > 0 FROM recordings WHERE id = ANY(@Ids)",
                    new { Ids = waiting.Keys.ToArray() });
                var now = Stopwatch.GetTimestamp();
                if (window.EndedInside(now))
                {
                    var worked = rows.Count(row => row.Claimed && row.Status is "uploading" or "processing");
                    working += worked;
                    polls++;
                    WorkingMax = Math.Max(WorkingMax, worked);
                }
                foreach (var (id, status, claimed) in rows)
                {
                    var watch = waiting[id];
                    if (claimed && watch.ClaimedAt == 0)
                    {
                        watch.ClaimedAt = now;
                    }
                    if (status is not ("uploading" or "processing") && waiting.TryRemove(id, out _))
                    {
                        watch.Settled.SetResult((status, watch.ClaimedAt == 0 ? now : watch.ClaimedAt, now));
                    }
                }
            }
            try
            {
                await Task.Delay(20, stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        await polling;
        stopping.Dispose();
    }

    private sealed class Watch
    {
        public TaskCompletionSource<(string Status, long ClaimedAt, long SettledAt)> Settled { get; }
            = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long ClaimedAt { get; set; }
    }
}
