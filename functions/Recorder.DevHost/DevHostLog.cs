
namespace Recorder.DevHost;

/// <summary>The dev host's log messages (source-generated, message templates only).</summary>
public static partial class DevHostLog
{
    [LoggerMessage(1, LogLevel.Information, "Dev host functions ({FunctionCount}):\n{FunctionTable}")]
    public static partial void FunctionsDiscovered(ILogger logger, int functionCount, string functionTable);

    [LoggerMessage(2, LogLevel.Error, "Function {FunctionName} failed")]
    public static partial void FunctionFailed(ILogger logger, Exception exception, string functionName);

    [LoggerMessage(3, LogLevel.Information, "Function {FunctionName}: the client went away before it finished")]
    public static partial void RequestAborted(ILogger logger, string functionName);

    [LoggerMessage(4, LogLevel.Information, "Timer {FunctionName} scheduled ({Schedule}); next run at {NextRun:u}")]
    public static partial void TimerScheduled(ILogger logger, string functionName, string schedule, DateTime nextRun);

    [LoggerMessage(5, LogLevel.Warning, "Timer {FunctionName}: skipped the run due at {DueTime:u} because the previous run is still going")]
    public static partial void TimerRunSkipped(ILogger logger, string functionName, DateTime dueTime);

    [LoggerMessage(6, LogLevel.Information, "Timer {FunctionName} ran in {ElapsedMs} ms (past due: {IsPastDue})")]
    public static partial void TimerRunCompleted(ILogger logger, string functionName, long elapsedMs, bool isPastDue);

    [LoggerMessage(7, LogLevel.Information, "Timer {FunctionName}: run cancelled by shutdown")]
    public static partial void TimerRunCancelled(ILogger logger, string functionName);

    [LoggerMessage(8, LogLevel.Information, "Queue {FunctionName} listening on {QueueName} ({Connection})")]
    public static partial void QueueListening(ILogger logger, string functionName, string queueName, string connection);

    [LoggerMessage(9, LogLevel.Warning, "Queue {FunctionName}: queue {QueueName} cannot be reached; polling again in {RetryDelay}")]
    public static partial void QueueUnreachable(
        ILogger logger, Exception exception, string functionName, string queueName, TimeSpan retryDelay);

    [LoggerMessage(10, LogLevel.Information,
        "Queue {FunctionName} processed message {MessageId} in {ElapsedMs} ms (dequeue count {DequeueCount})")]
    public static partial void QueueMessageProcessed(
        ILogger logger, string functionName, string messageId, long elapsedMs, long dequeueCount);

    [LoggerMessage(11, LogLevel.Error,
        "Queue {FunctionName} failed on message {MessageId} (dequeue count {DequeueCount} of {MaxDequeueCount})")]
    public static partial void QueueMessageFailed(
        ILogger logger, Exception exception, string functionName, string messageId, long dequeueCount, int maxDequeueCount);

    [LoggerMessage(12, LogLevel.Information, "Queue {FunctionName}: message {MessageId} will be tried again in {RetryDelay}")]
    public static partial void QueueMessageRetrying(ILogger logger, string functionName, string messageId, TimeSpan retryDelay);

    [LoggerMessage(13, LogLevel.Warning,
        "Queue {FunctionName}: message {MessageId} reached the MaxDequeueCount of {MaxDequeueCount}; moved to queue {PoisonQueueName}")]
    public static partial void QueueMessagePoisoned(
        ILogger logger, string functionName, string messageId, int maxDequeueCount, string poisonQueueName);

    [LoggerMessage(14, LogLevel.Warning,
        "Queue {FunctionName}: message {MessageId} is not Base64 (host.json messageEncoding); " +
        "moved to queue {PoisonQueueName} without a run")]
    public static partial void QueueMessageUndecodable(ILogger logger, string functionName, string messageId, string poisonQueueName);

    [LoggerMessage(15, LogLevel.Warning,
        "Queue {FunctionName}: message {MessageId} failed on a poison queue, which has none of its own; " +
        "it stays invisible for {InvisibleFor}")]
    public static partial void QueueMessageLeftInvisible(ILogger logger, string functionName, string messageId, TimeSpan invisibleFor);

    [LoggerMessage(16, LogLevel.Information, "Queue {FunctionName}: message {MessageId} given back to the queue by shutdown")]
    public static partial void QueueMessageReleasedByShutdown(ILogger logger, string functionName, string messageId);

    [LoggerMessage(17, LogLevel.Warning,
        "Queue {FunctionName}: message {MessageId} could not be deleted, released or moved; it reappears when its visibility timeout ends")]
    public static partial void QueueMessageNotSettled(ILogger logger, Exception exception, string functionName, string messageId);

    [LoggerMessage(18, LogLevel.Information, "Event Grid bridge is off ({Setting} = false)")]
    public static partial void EventBridgeOff(ILogger logger, string setting);

    [LoggerMessage(19, LogLevel.Information,
        "Event Grid bridge idle: function {FunctionName} cannot take events ({Reason}); {Setting} names the webhook function")]
    public static partial void EventBridgeIdle(ILogger logger, string functionName, string reason, string setting);

    [LoggerMessage(20, LogLevel.Information,
        "Event Grid bridge watching container {Container}: " +
        "BlobCreated events go to {FunctionName} at {Endpoint}, polling every {Interval}")]
    public static partial void EventBridgeWatching(ILogger logger, string container, string functionName, Uri endpoint, TimeSpan interval);

    [LoggerMessage(21, LogLevel.Warning, "Event Grid bridge cannot list container {Container}; trying again every {Interval}")]
    public static partial void EventBridgeListFailed(ILogger logger, Exception exception, string container, TimeSpan interval);

    [LoggerMessage(26, LogLevel.Warning,
        "Event Grid bridge cannot read or write what it announced (container {Container}); trying again every {Interval}")]
    public static partial void EventBridgeMemoryFailed(ILogger logger, Exception exception, string container, TimeSpan interval);

    [LoggerMessage(22, LogLevel.Information, "Event Grid bridge: BlobCreated ({Api}) for {BlobName}, eTag {ETag}, answered {StatusCode}")]
    public static partial void EventBridgeDelivered(ILogger logger, string blobName, string api, string eTag, int statusCode);

    [LoggerMessage(23, LogLevel.Warning,
        "Event Grid bridge: BlobCreated for {BlobName}, eTag {ETag}, answered {StatusCode}; delivering it again on the next poll")]
    public static partial void EventBridgeRetrying(ILogger logger, string blobName, string eTag, int statusCode);

    [LoggerMessage(24, LogLevel.Warning,
        "Event Grid bridge: BlobCreated for {BlobName}, eTag {ETag}, answered {StatusCode}, which Event Grid does not retry; dropped")]
    public static partial void EventBridgeDropped(ILogger logger, string blobName, string eTag, int statusCode);

    [LoggerMessage(25, LogLevel.Warning,
        "Event Grid bridge: BlobCreated for {BlobName}, eTag {ETag}, not delivered; trying again on the next poll")]
    public static partial void EventBridgeNotDelivered(ILogger logger, Exception exception, string blobName, string eTag);
}
