using Microsoft.Extensions.Configuration;
using Recorder.Core.Storage;

namespace Recorder.Core.Privacy;

/// <summary>The message asking the export worker to build one export.</summary>
public sealed record PrivacyExportMessage(long ExportId);

/// <summary>The Storage queue of export requests.</summary>
public sealed class PrivacyExportQueue(IConfiguration configuration)
    : JsonMessageQueue<PrivacyExportMessage>(configuration, QueueNameSetting, "privacy-export", CommitHeadStart)
{
    /// <summary>Setting naming the queue; the worker's trigger uses it as %PrivacyExportQueueName%.</summary>
    public const string QueueNameSetting = "PrivacyExportQueueName";

    // The request's transaction commits right after the send: the message stays invisible until it surely has.
    private static readonly TimeSpan CommitHeadStart = TimeSpan.FromSeconds(1);
}
