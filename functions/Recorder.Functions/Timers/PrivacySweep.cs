using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Privacy;

namespace Recorder.Functions.Timers;

/// <summary>Expired exports, exports never built, unfinished erasures (schedule: setting PrivacySweepSchedule).</summary>
public sealed class PrivacySweep(PrivacySweeper sweeper)
{
    [Function(nameof(PrivacySweep))]
    public Task Run([TimerTrigger("%PrivacySweepSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
        => sweeper.RunAsync(cancellationToken);
}
