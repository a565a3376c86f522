using Microsoft.Extensions.Configuration;
using Recorder.Core.Storage;

namespace Recorder.Core.Privacy;

/// <summary>The message asking the erasure worker to carry one erasure on.</summary>
public sealed record ErasureMessage(long ErasureId);

/// <summary>The Storage queue of erasures whose storage work is still to do; sent once the request's rows have committed.</summary>
public sealed class ErasureQueue(IConfiguration configuration)
    : JsonMessageQueue<ErasureMessage>(configuration, QueueNameSetting, "privacy-erasure", TimeSpan.Zero)
{
    /// <summary>Setting naming the queue; the worker's trigger uses it as %PrivacyErasureQueueName%.</summary>
    public const string QueueNameSetting = "PrivacyErasureQueueName";
}
