using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Alerts;

namespace Recorder.Functions.Timers;

/// <summary>Storage, failure-rate and database-size alerts (schedule: setting AlertsCheckSchedule).</summary>
public sealed class AlertsCheck(AlertsCheckService alerts)
{
    [Function(nameof(AlertsCheck))]
    public Task Run([TimerTrigger("%AlertsCheckSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
        => alerts.RunAsync(cancellationToken);
}
