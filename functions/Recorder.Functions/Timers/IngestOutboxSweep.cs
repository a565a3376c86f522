using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Ingest;

namespace Recorder.Functions.Timers;

/// <summary>Sends ingest messages whose committer could not (schedule: setting IngestOutboxSweepSchedule).</summary>
public sealed class IngestOutboxSweep(IngestOutbox outbox)
{
    [Function(nameof(IngestOutboxSweep))]
    public Task Run([TimerTrigger("%IngestOutboxSweepSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
        => outbox.SweepAsync(cancellationToken);
}
