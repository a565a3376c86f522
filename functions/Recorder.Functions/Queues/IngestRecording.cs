using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Ingest;

namespace Recorder.Functions.Queues;

/// <summary>Ingests a committed recording (or quarantines an unknown blob); a failure is retried by the queue, then poisoned.</summary>
public sealed class IngestRecording(IngestWorker ingest)
{
    [Function(nameof(IngestRecording))]
    public Task Run(
        [QueueTrigger("%IngestQueueName%", Connection = "RecordingsStorage")] IngestMessage message, CancellationToken cancellationToken)
        => ingest.ProcessAsync(message, cancellationToken);
}
