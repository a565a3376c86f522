using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Privacy;

namespace Recorder.Functions.Queues;

/// <summary>Builds a requested export into the exports container; a failure is retried by the queue.</summary>
public sealed class BuildPrivacyExport(PrivacyExportService exports)
{
    [Function(nameof(BuildPrivacyExport))]
    public Task Run([QueueTrigger("%PrivacyExportQueueName%", Connection = "RecordingsStorage")] PrivacyExportMessage message,
        CancellationToken cancellationToken)
        => exports.BuildAsync(message, cancellationToken);
}
