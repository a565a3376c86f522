using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace Recorder.Core.Storage;

/// <summary>
/// A Storage queue of JSON messages for a queue-triggered function: base64, the Functions host's default encoding;
/// the queue is named by a setting (the trigger's %Setting%) and made on first use.
/// </summary>
public abstract class JsonMessageQueue<TMessage>
{
    private static readonly JsonSerializerOptions MessageJson = new(JsonSerializerDefaults.Web);

    private readonly QueueClient queue;
    private readonly TimeSpan visibilityDelay;

    /// <param name="visibilityDelay">How long a message stays invisible after it is sent.</param>
    protected JsonMessageQueue(IConfiguration configuration, string queueNameSetting, string defaultName, TimeSpan visibilityDelay)
    {
        var name = configuration[queueNameSetting] is { Length: > 0 } configured ? configured : defaultName;
        queue = RecordingsStorageClient.CreateQueueService(
            configuration,
            RecordingsStorageClient.WithBriefRetries(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }))
            .GetQueueClient(name);
        this.visibilityDelay = visibilityDelay;
    }

    public Task SendAsync(TMessage message, CancellationToken cancellationToken) => SendAsync(message, visibilityDelay, cancellationToken);

    /// <summary>Sends a message that a worker sees only once <paramref name="delay"/> has passed.</summary>
    public async Task SendAsync(TMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(message, MessageJson);
        try
        {
            await queue.SendMessageAsync(body, delay, cancellationToken: cancellationToken);
        }
        catch (Azure.RequestFailedException exception) when (exception.ErrorCode == "QueueNotFound")
        {
            // First message after deployment or on a fresh emulator: the queue is made on demand.
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await queue.SendMessageAsync(body, delay, cancellationToken: cancellationToken);
        }
    }
}
