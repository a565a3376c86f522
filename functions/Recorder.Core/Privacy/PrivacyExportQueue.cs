using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Recorder.Core.Storage;

namespace Recorder.Core.Privacy;

/// <summary>The message asking the export worker to build one export.</summary>
public sealed record PrivacyExportMessage(long ExportId);

/// <summary>The Storage queue of export requests (base64 messages, the Functions host's default encoding).</summary>
public sealed class PrivacyExportQueue
{
    /// <summary>Setting naming the queue; the worker's trigger uses it as %PrivacyExportQueueName%.</summary>
    public const string QueueNameSetting = "PrivacyExportQueueName";

    // The request's transaction commits right after the send: the message stays invisible until it surely has.
    private static readonly TimeSpan CommitHeadStart = TimeSpan.FromSeconds(1);

    private static readonly JsonSerializerOptions MessageJson = new(JsonSerializerDefaults.Web);

    private readonly QueueClient queue;

    public PrivacyExportQueue(IConfiguration configuration)
    {
        var name = configuration[QueueNameSetting] is { Length: > 0 } configured ? configured : "privacy-export";
        queue = RecordingsStorageClient.CreateQueueService(configuration, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }).GetQueueClient(name);
    }

    public async Task SendAsync(PrivacyExportMessage message, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(message, MessageJson);
        try
        {
            await queue.SendMessageAsync(body, CommitHeadStart, cancellationToken: cancellationToken);
        }
        catch (Azure.RequestFailedException exception) when (exception.ErrorCode == "QueueNotFound")
        {
            // First message after deployment or on a fresh emulator: the queue is made on demand.
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await queue.SendMessageAsync(body, CommitHeadStart, cancellationToken: cancellationToken);
        }
    }
}
