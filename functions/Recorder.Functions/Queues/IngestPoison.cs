using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Ingest;

namespace Recorder.Functions.Queues;

/// <summary>Ingest messages that failed every retry: their recording is marked failed, so the page stops waiting.</summary>
public sealed class IngestPoison(IngestWorker ingest)
{
    [Function(nameof(IngestPoison))]
    public Task Run([QueueTrigger("%IngestQueueName%-poison", Connection = "RecordingsStorage")] IngestMessage message,
        CancellationToken cancellationToken)
        => ingest.FailAbandonedAsync(message, cancellationToken);
}
