using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Lifecycle;

namespace Recorder.Functions.Timers;

/// <summary>Retention, abandoned uploads, unfinished deletions (schedule: setting LifecycleSweepSchedule).</summary>
public sealed class LifecycleSweep(RecordingLifecycleSweeper sweeper)
{
    [Function(nameof(LifecycleSweep))]
    public Task Run([TimerTrigger("%LifecycleSweepSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
        => sweeper.RunAsync(cancellationToken);
}
