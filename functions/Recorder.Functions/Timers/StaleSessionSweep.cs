using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Sessions;

namespace Recorder.Functions.Timers;

/// <summary>Interrupts active recording sessions that stopped sending heartbeats (schedule: setting StaleSessionSweepSchedule).</summary>
public sealed class StaleSessionSweep(StaleSessionSweeper sweeper)
{
    [Function(nameof(StaleSessionSweep))]
    public Task Run([TimerTrigger("%StaleSessionSweepSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
        => sweeper.SweepAsync(cancellationToken);
}
