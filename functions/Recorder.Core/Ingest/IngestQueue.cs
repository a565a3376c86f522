using Microsoft.Extensions.Configuration;
using Recorder.Core.Storage;

namespace Recorder.Core.Ingest;

/// <summary>The Storage queue between the webhook (which must answer Event Grid within 30 s) and the workers.</summary>
public sealed class IngestQueue(IConfiguration configuration)
    : JsonMessageQueue<IngestMessage>(configuration, QueueNameSetting, "recording-ingest", TimeSpan.Zero)
{
    /// <summary>Setting naming the queue; the queue-triggered functions use it as %IngestQueueName%.</summary>
    public const string QueueNameSetting = "IngestQueueName";
}
