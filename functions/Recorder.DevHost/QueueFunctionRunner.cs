using System.Diagnostics;
using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Recorder.Core.Storage;

namespace Recorder.DevHost;

/// <summary>
/// Runs each <c>[QueueTrigger]</c> function as the Functions host's queue listener does, with host.json's
/// <c>extensions.queues</c> (<see cref="QueueHostOptions"/>); polling, retries and poison queue: docs/architecture.md, "The dev host".
/// </summary>
public sealed class QueueFunctionRunner(
    FunctionCatalog catalog,
    QueueHostOptions options,
    IConfiguration configuration,
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILogger<QueueFunctionRunner> logger) : BackgroundService
{
    // How long a received message stays invisible while its function runs (the host's figure; the host also
    // renews it, the dev host does not: a run longer than this sees its message handed out again).
    private static readonly TimeSpan InFlightVisibility = TimeSpan.FromMinutes(10);

    // Bodies are decoded here rather than by the SDK, so a body that is not Base64 can still be moved as it is.
    private static readonly QueueClientOptions ClientOptions = new()
    {
        MessageEncoding = QueueMessageEncoding.None,
        Retry = { MaxRetries = 2, Delay = TimeSpan.FromMilliseconds(200), NetworkTimeout = TimeSpan.FromSeconds(30) },
    };

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(catalog.Queues.Select(function => ListenAsync(function, stoppingToken)));

    private async Task ListenAsync(QueueFunction function, CancellationToken stoppingToken)
    {
        var service = RecordingsStorageClient.CreateQueueService(
            configuration, ClientOptions, function.Connection.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal));
        var queue = service.GetQueueClient(function.QueueName);
        var poison = function.PoisonQueueName is { } poisonName ? service.GetQueueClient(poisonName) : null;
        var running = new List<Task>();
        var idleDelay = QueueHostOptions.MinPollingInterval;
        bool created = false, reachable = true;
        try
        {
            while (true)
            {
                running.RemoveAll(task => task.IsCompleted);
                if (running.Count >= options.BatchSize)
                {
                    await Task.WhenAny(running).WaitAsync(stoppingToken);
                    continue;
                }

                QueueMessage[] messages;
                try
                {
                    if (!created)
                    {
                        await queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
                        created = true;
                        DevHostLog.QueueListening(logger, function.Name, function.QueueName, function.Connection);
                    }
                    messages = (await queue.ReceiveMessagesAsync(options.BatchSize - running.Count, InFlightVisibility,
                        stoppingToken)).Value;
                    reachable = true;
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    // Azurite stopped or restarting: say so once per outage and keep trying, as the host does.
                    if (reachable)
                    {
                        DevHostLog.QueueUnreachable(logger, exception, function.Name, function.QueueName, options.MaxPollingInterval);
                        reachable = false;
                    }
                    await Task.Delay(options.MaxPollingInterval, time, stoppingToken);
                    continue;
                }

                if (messages.Length == 0)
                {
                    await Task.Delay(idleDelay, time, stoppingToken);
                    idleDelay = TimeSpan.FromTicks(Math.Min(idleDelay.Ticks * 2, options.MaxPollingInterval.Ticks));
                    continue;
                }
                idleDelay = QueueHostOptions.MinPollingInterval;
                // On the thread pool, so a function that blocks before its first await cannot hold up the listener.
                running.AddRange(
                    messages.Select(
                        message => Task.Run(() => ProcessAsync(function, queue, poison, message, stoppingToken), CancellationToken.None)));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: let runs in progress see the token and settle their messages before the host goes.
            await Task.WhenAll(running);
        }
    }

    private async Task ProcessAsync(
        QueueFunction function, QueueClient queue, QueueClient? poison, QueueMessage message, CancellationToken stoppingToken)
    {
        // Settling uses no token: a message whose run finished must be deleted (or released) even while stopping.
        try
        {
            if (message.DequeueCount > options.MaxDequeueCount)
            {
                // Failed its last attempt without being moved (the host stopped in between): move it now, as the host does.
                await MoveToPoisonAsync(function, queue, poison, message);
                return;
            }
            if (Decode(message.Body) is not { } body)
            {
                await MoveToPoisonAsync(function, queue, poison, message, undecodable: true);
                return;
            }

            var started = time.GetTimestamp();
            try
            {
                var arguments = function.Parameters.Select(parameter => parameter.Source switch
                {
                    ParameterSource.QueueMessage => Bind(parameter.Type, body),
                    ParameterSource.CancellationToken => stoppingToken,
                    _ => throw new UnreachableException($"The catalog gave queue function {function.Name} a {parameter.Source} parameter."),
                }).ToArray();
                await using var scope = scopes.CreateAsyncScope();
                await FunctionInvoker.InvokeAsync(function, scope.ServiceProvider, arguments);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Not the message's fault: make it visible again at once for the next start.
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero,
                    cancellationToken: CancellationToken.None);
                DevHostLog.QueueMessageReleasedByShutdown(logger, function.Name, message.MessageId);
                return;
            }
            catch (Exception exception)
            {
                DevHostLog.QueueMessageFailed(logger, exception, function.Name, message.MessageId, message.DequeueCount,
                    options.MaxDequeueCount);
                await FailAsync(function, queue, poison, message);
                return;
            }
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
            DevHostLog.QueueMessageProcessed(logger, function.Name, message.MessageId, (long)time.GetElapsedTime(started).TotalMilliseconds,
                message.DequeueCount);
        }
        catch (Exception exception)
        {
            DevHostLog.QueueMessageNotSettled(logger, exception, function.Name, message.MessageId);
        }
    }

    private async Task FailAsync(QueueFunction function, QueueClient queue, QueueClient? poison, QueueMessage message)
    {
        if (poison is null || message.DequeueCount >= options.MaxDequeueCount)
        {
            await MoveToPoisonAsync(function, queue, poison, message);
            return;
        }
        await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: options.RetryDelay,
            cancellationToken: CancellationToken.None);
        DevHostLog.QueueMessageRetrying(logger, function.Name, message.MessageId, options.RetryDelay);
    }

    /// <summary>
    /// Copies the body as received (still encoded) to the poison queue, then deletes the original. On a poison
    /// queue, which has none, the host leaves the message invisible instead (no fast loop of failures); so does this.
    /// </summary>
    private async Task MoveToPoisonAsync(
        QueueFunction function, QueueClient queue, QueueClient? poison, QueueMessage message, bool undecodable = false)
    {
        if (poison is null)
        {
            DevHostLog.QueueMessageLeftInvisible(logger, function.Name, message.MessageId, InFlightVisibility);
            return;
        }
        await poison.CreateIfNotExistsAsync(cancellationToken: CancellationToken.None);
        await poison.SendMessageAsync(message.Body, cancellationToken: CancellationToken.None);
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
        if (undecodable)
        {
            DevHostLog.QueueMessageUndecodable(logger, function.Name, message.MessageId, poison.Name);
        }
        else
        {
            DevHostLog.QueueMessagePoisoned(logger, function.Name, message.MessageId, options.MaxDequeueCount, poison.Name);
        }
    }

    private BinaryData? Decode(BinaryData raw)
    {
        if (!options.Base64Messages)
        {
            return raw;
        }
        try
        {
            return BinaryData.FromBytes(Convert.FromBase64String(raw.ToString()));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <exception cref="JsonException">The body is not JSON of the parameter's type: a failed run.</exception>
    private static object? Bind(Type type, BinaryData body)
        => type == typeof(string) ? body.ToString()
            : type == typeof(BinaryData) ? body
            : type == typeof(byte[]) ? body.ToArray()
            : JsonSerializer.Deserialize(body, type, JsonSerializerOptions.Web);
}
