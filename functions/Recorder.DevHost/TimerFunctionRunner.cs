using System.Diagnostics;
using Microsoft.Azure.Functions.Worker;

namespace Recorder.DevHost;

/// <summary>
/// Runs each <c>[TimerTrigger]</c> function on its UTC schedule, one run at a time per function as the host's singleton
/// lock ensures; occurrences missed while stopped are not made up (docs/architecture.md, "The dev host").
/// </summary>
public sealed class TimerFunctionRunner(
    FunctionCatalog catalog,
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILogger<TimerFunctionRunner> logger) : BackgroundService
{
    // Task.Delay takes at most ~49 days; long waits are taken in steps, re-reading the clock each time.
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(catalog.Timers.Select(timer => RunScheduleAsync(timer, stoppingToken)));

    private async Task RunScheduleAsync(TimerFunction timer, CancellationToken stoppingToken)
    {
        var now = UtcNow();
        var due = timer.Schedule.GetNextOccurrence(now);
        DevHostLog.TimerScheduled(logger, timer.Name, timer.Schedule.Resolved, due);
        var running = timer.RunOnStartup ? Start(timer, now, due, isPastDue: false, stoppingToken) : Task.CompletedTask;
        try
        {
            while (true)
            {
                for (var wait = due - UtcNow(); wait > TimeSpan.Zero; wait = due - UtcNow())
                {
                    await Task.Delay(wait < LongestWait ? wait : LongestWait, time, stoppingToken);
                }
                // Woken after later occurrences were due as well (machine asleep, debugger): run once, marked
                // past due, rather than once for every occurrence missed.
                now = UtcNow();
                var next = timer.Schedule.GetNextOccurrence(due);
                var isPastDue = next <= now;
                if (isPastDue)
                {
                    next = timer.Schedule.GetNextOccurrence(now);
                }

                if (running.IsCompleted)
                {
                    running = Start(timer, due, next, isPastDue, stoppingToken);
                }
                else
                {
                    DevHostLog.TimerRunSkipped(logger, timer.Name, due);
                }
                due = next;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: let a run in progress see the token and finish before the host goes.
            await running;
        }
    }

    private Task Start(TimerFunction timer, DateTime due, DateTime next, bool isPastDue, CancellationToken stoppingToken)
    {
        var info = new TimerInfo
        {
            IsPastDue = isPastDue,
            ScheduleStatus = new ScheduleStatus { Last = due, Next = next, LastUpdated = UtcNow() },
        };
        // On the thread pool, so a function that blocks before its first await cannot hold up the schedule.
        return Task.Run(() => RunAsync(timer, info, stoppingToken), CancellationToken.None);
    }

    private async Task RunAsync(TimerFunction timer, TimerInfo info, CancellationToken stoppingToken)
    {
        var started = time.GetTimestamp();
        try
        {
            var arguments = timer.Parameters.Select(parameter => parameter.Source switch
            {
                ParameterSource.TimerInfo => (object)info,
                ParameterSource.CancellationToken => stoppingToken,
                _ => throw new UnreachableException($"The catalog gave timer function {timer.Name} a {parameter.Source} parameter."),
            }).ToArray();
            await using var scope = scopes.CreateAsyncScope();
            await FunctionInvoker.InvokeAsync(timer, scope.ServiceProvider, arguments);
            DevHostLog.TimerRunCompleted(logger, timer.Name, (long)time.GetElapsedTime(started).TotalMilliseconds, info.IsPastDue);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            DevHostLog.TimerRunCancelled(logger, timer.Name);
        }
        catch (Exception exception)
        {
            DevHostLog.FunctionFailed(logger, exception, timer.Name);
        }
    }

    private DateTime UtcNow() => time.GetUtcNow().UtcDateTime;
}
