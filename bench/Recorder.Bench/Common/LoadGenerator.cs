using System.Diagnostics;
using System.Net;

namespace Recorder.Bench.Common;

/// <summary>What one load run measured: requests that answered the expected status, their latencies, the rest.</summary>
public sealed record LoadResult(string Name, int Concurrency, TimeSpan Duration, long Succeeded, long Errors, Latencies Latencies, IReadOnlyDictionary<string, long> ErrorKinds)
{
    public double RequestsPerSecond => Succeeded / Duration.TotalSeconds;
}

/// <summary>
/// An HTTP load generator: <c>concurrency</c> workers over keep-alive connections, for a warm-up (not counted) and then
/// the measured time. A closed loop by default: each worker sends its next request as soon as the previous one answered.
/// <c>answered</c>, if given, reads each expected answer after its latency is taken (a list page's next cursor).
/// </summary>
public static class LoadGenerator
{
    /// <param name="requestsPerSecond">
    /// An open loop instead: the workers together send this many requests a second on a fixed schedule, each worker its
    /// share in turn, and a request's latency counts from when it was due, so a late answer that delays a worker's next
    /// request counts in that one too (no coordinated omission).
    /// </param>
    public static async Task<LoadResult> RunAsync(
        string name,
        Uri baseAddress,
        int concurrency,
        TimeSpan warmUp,
        TimeSpan duration,
        Func<int, long, HttpRequestMessage> request,
        HttpStatusCode expected,
        Func<int, HttpResponseMessage, Task>? answered = null,
        double? requestsPerSecond = null)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseCookies = false };
        using var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var latencies = new Latencies();
        var errors = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        long succeeded = 0, failed = 0, sequence = 0;
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(warmUp.TotalSeconds * Stopwatch.Frequency);
        var stopAt = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);

        async Task WorkerAsync(int worker)
        {
            var own = new Latencies();
            for (long turn = 0; ; turn++)
            {
                var now = Stopwatch.GetTimestamp();
                // The open loop's schedule: this worker's turn-th request, the workers' requests evenly interleaved.
                var due = requestsPerSecond is { } rate
                    ? start + (long)((turn * concurrency + worker) / rate * Stopwatch.Frequency)
                    : now;
                var late = due < now;
                if (due > now)
                {
                    await Task.Delay(Stopwatch.GetElapsedTime(now, due));
                }
                if (due >= stopAt || Stopwatch.GetTimestamp() >= stopAt)
                {
                    break;
                }
                var counted = due >= measureFrom;
                using var message = request(worker, Interlocked.Increment(ref sequence));
                // A request sent late because the worker's previous one answered late counts from when it was due; one on
                // time counts from its sending (not from the timer's wake-up, which may oversleep by a millisecond).
                var sent = late ? due : Stopwatch.GetTimestamp();
                string? error = null;
                var elapsed = TimeSpan.Zero;
                try
                {
                    using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead);
                    elapsed = Stopwatch.GetElapsedTime(sent);
                    if (response.StatusCode != expected)
                    {
                        error = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    }
                    else if (answered is not null)
                    {
                        await answered(worker, response);
                    }
                }
                catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
                {
                    elapsed = Stopwatch.GetElapsedTime(sent);
                    error = exception.GetType().Name;
                }
                // Only requests sent and answered inside the measured window count.
                if (!counted || Stopwatch.GetTimestamp() > stopAt)
                {
                    continue;
                }
                if (error is null)
                {
                    own.Add(elapsed, sent);
                    Interlocked.Increment(ref succeeded);
                }
                else
                {
                    errors.AddOrUpdate(error, 1, (_, n) => n + 1);
                    Interlocked.Increment(ref failed);
                }
            }
            latencies.AddAll(own);
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(() => WorkerAsync(worker))));
        return new LoadResult(name, concurrency, duration, succeeded, failed, latencies, errors);
    }
}
