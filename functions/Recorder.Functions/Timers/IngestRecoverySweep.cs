using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Ingest;

namespace Recorder.Functions.Timers;

/// <summary>Unsent outbox messages and recordings whose worker died (schedule: setting IngestRecoverySweepSchedule).</summary>
public sealed class IngestRecoverySweep(IngestRecovery recovery)
{
    [Function(nameof(IngestRecoverySweep))]
    public Task Run([TimerTrigger("%IngestRecoverySweepSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
        => recovery.RunAsync(cancellationToken);
}
