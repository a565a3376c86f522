using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Recorder.Core.Storage;

namespace Recorder.Core.Ingest;

/// <summary>
/// The Storage queue between the webhook (which must answer Event Grid within 30 s) and the workers.
/// Messages are base64, the Functions host's default encoding for queue triggers.
/// </summary>
public sealed class IngestQueue
{
    /// <summary>Setting naming the queue; the queue-triggered functions use it as %IngestQueueName%.</summary>
    public const string QueueNameSetting = "IngestQueueName";

    private readonly QueueClient queue;

    public IngestQueue(IConfiguration configuration)
    {
        var name = configuration[QueueNameSetting] is { Length: > 0 } configured ? configured : "recording-ingest";
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        queue = RecordingsStorageClient.CreateQueueService(configuration, options).GetQueueClient(name);
    }

    public string Name => queue.Name;

    public async Task SendAsync(IngestMessage message, CancellationToken cancellationToken)
    {
        var body = message.ToJson();
        try
        {
            await queue.SendMessageAsync(body, cancellationToken);
        }
        catch (Azure.RequestFailedException exception) when (exception.ErrorCode == "QueueNotFound")
        {
            // First message after deployment or a fresh emulator: the queue is made on demand.
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await queue.SendMessageAsync(body, cancellationToken);
        }
    }
}
