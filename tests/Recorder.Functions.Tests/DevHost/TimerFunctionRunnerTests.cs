using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Recorder.DevHost;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests.DevHost;

public sealed class TimerFunctionRunnerTests
{
    private static Task<RunningDevHost> StartAsync(Type timer, TimerProbe probe, IDictionary<string, string?>? settings = null)
        => RunningDevHost.StartAsync([timer], settings, services => services.AddSingleton(probe));

    [Fact]
    public async Task Timer_runs_on_its_schedule_with_a_TimerInfo()
    {
        var probe = new TimerProbe();
        await using var host = await StartAsync(typeof(EverySecondTimer), probe);

        await Eventually.TrueAsync(() => probe.Runs.Count >= 2, "the every-second timer ran twice");

        var status = probe.Runs[0].ScheduleStatus;
        Assert.NotNull(status);
        Assert.True(status.Next > status.Last);
        Assert.Contains(host.Logs.WithEvent(nameof(DevHostLog.TimerRunCompleted)), log => log.FunctionName == "EverySecond");
    }

    [Fact]
    public async Task Schedule_status_and_past_due_follow_the_clock()
    {
        var probe = new TimerProbe();
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 3, 14, 10, 0, 0, 500, TimeSpan.Zero));
        await using var host = await RunningDevHost.StartAsync([typeof(EverySecondTimer)], configureServices: services =>
        {
            services.AddSingleton(probe);
            services.AddSingleton<TimeProvider>(time);
        });
        await Eventually.TrueAsync(() => time.HasArmedTimer, "the runner waits for the first occurrence");

        time.Advance(TimeSpan.FromSeconds(0.5)); // 10:00:01, on time
        // Completed, not just started: a run still going when the next occurrence comes would be skipped.
        await Eventually.TrueAsync(
            () => host.Logs.WithEvent(nameof(DevHostLog.TimerRunCompleted)).Any() && time.HasArmedTimer, "the first run, then a wait for the next");
        time.Advance(TimeSpan.FromSeconds(3.2)); // 10:00:04.2: 02, 03 and 04 were due; one run, past due
        await Eventually.TrueAsync(() => probe.Runs.Count == 2, "the late run");

        Assert.False(probe.Runs[0].IsPastDue);
        Assert.Equal((At(1), At(2)), (probe.Runs[0].ScheduleStatus?.Last, probe.Runs[0].ScheduleStatus?.Next));
        Assert.True(probe.Runs[1].IsPastDue);
        Assert.Equal((At(2), At(5)), (probe.Runs[1].ScheduleStatus?.Last, probe.Runs[1].ScheduleStatus?.Next));

        static DateTime? At(int second) => new DateTime(2026, 3, 14, 10, 0, second, DateTimeKind.Utc);
    }

    [Fact]
    public async Task Occurrence_due_while_the_previous_run_is_still_going_is_skipped_and_logged()
    {
        var probe = new TimerProbe();
        await using var host = await StartAsync(typeof(BlockingTimer), probe, new Dictionary<string, string?> { ["BlockingSchedule"] = "* * * * * *" });

        await Eventually.TrueAsync(
            () => host.Logs.WithEvent(nameof(DevHostLog.TimerRunSkipped)).Count(log => log.FunctionName == "Blocking") >= 2,
            "two occurrences were skipped");
        Assert.Single(probe.Runs);
        Assert.Equal(LogLevel.Warning, host.Logs.WithEvent(nameof(DevHostLog.TimerRunSkipped)).First().Level);

        probe.Release.SetResult();
        await Eventually.TrueAsync(() => probe.Runs.Count >= 2, "the timer ran again once the first run finished");
    }

    [Fact]
    public async Task Failed_run_is_logged_and_the_schedule_goes_on()
    {
        var probe = new TimerProbe();
        await using var host = await StartAsync(typeof(FailingTimer), probe);

        await Eventually.TrueAsync(() => probe.Runs.Count >= 2, "the failing timer ran twice");

        var failure = host.Logs.WithEvent(nameof(DevHostLog.FunctionFailed)).First(log => log.FunctionName == "Failing");
        Assert.Equal(LogLevel.Error, failure.Level);
        Assert.Equal("timer failure", failure.Exception?.Message);
    }

    [Fact]
    public async Task RunOnStartup_runs_at_once()
    {
        var probe = new TimerProbe();
        await using var host = await StartAsync(typeof(StartupTimer), probe);

        await Eventually.TrueAsync(() => probe.Runs.Count == 1, "the yearly timer ran on start-up");

        var status = probe.Runs[0].ScheduleStatus;
        Assert.NotNull(status);
        Assert.Equal((1, 1), (status.Next.Month, status.Next.Day));
    }
}
