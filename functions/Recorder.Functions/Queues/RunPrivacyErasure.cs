using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Privacy;

namespace Recorder.Functions.Queues;

/// <summary>
/// Carries a requested erasure on (storage sweeps, rows, receipt); a failure is retried by the queue, then left to the privacy sweep.
/// </summary>
public sealed class RunPrivacyErasure(ErasureService erasures)
{
    [Function(nameof(RunPrivacyErasure))]
    public Task Run([QueueTrigger("%PrivacyErasureQueueName%", Connection = "RecordingsStorage")] ErasureMessage message,
        CancellationToken cancellationToken)
        => erasures.RunAsync(message, cancellationToken);
}
