using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Ingest;

namespace Recorder.Functions.Timers;

/// <summary>
/// Unsent outbox messages, recordings whose worker died, live recordings whose browser went silent (schedule: setting
/// IngestRecoverySweepSchedule).
/// </summary>
public sealed class IngestRecoverySweep(IngestRecovery recovery)
{
    [Function(nameof(IngestRecoverySweep))]
    public Task Run([TimerTrigger("%IngestRecoverySweepSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
        => recovery.RunAsync(cancellationToken);
}
