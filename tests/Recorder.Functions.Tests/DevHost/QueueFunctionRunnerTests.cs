using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Recorder.DevHost;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests.DevHost;

/// <summary>Queue functions against Azurite, each test on queues of its own.</summary>
public sealed class QueueFunctionRunnerTests
{
    private const string QueuesSection = $"{HostJson.OverrideSection}:extensions:queues";

    private readonly QueueProbe probe = new();

    private static string UniqueQueueName() => "t" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A client that sends as the app does (Base64, the host's messageEncoding).</summary>
    private static QueueClient Sender(string queueName)
        => new(TestEnvironment.StorageConnectionString, queueName, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    private static QueueClient RawClient(string queueName) => new(TestEnvironment.StorageConnectionString, queueName);

    private Task<RunningDevHost> StartAsync(Type function, Dictionary<string, string?> settings)
    {
        settings[QueueProbe.Connection] = TestEnvironment.StorageConnectionString;
        // host.json-equivalent overrides, as the Functions host takes them from app settings: a quick poll when idle.
        settings.TryAdd($"{QueuesSection}:maxPollingInterval", "00:00:00.200");
        return RunningDevHost.StartAsync([function], settings, services => services.AddSingleton(probe));
    }

    private static Task ListeningAsync(RunningDevHost host, string function)
        => Eventually.TrueAsync(() => host.Logs.WithEvent(nameof(DevHostLog.QueueListening)).Any(log => log.FunctionName == function), $"{function} listens");

    private static async Task<int> MessageCountAsync(QueueClient queue)
        => (await queue.ExistsAsync()).Value ? (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount : 0;

    [Fact]
    public async Task Text_message_is_delivered_once_and_deleted()
    {
        var queueName = UniqueQueueName();
        await using var host = await StartAsync(typeof(TextQueueFunction), new() { ["TextQueueName"] = queueName });
        await ListeningAsync(host, "TextQueue"); // the host made the queue: nothing else did

        await Sender(queueName).SendMessageAsync("hello, queue");

        await Eventually.TrueAsync(() => host.Logs.WithEvent(nameof(DevHostLog.QueueMessageProcessed)).Any(), "the message was processed");
        // ApproximateMessagesCount counts invisible messages too: 0 means deleted, not just in flight.
        Assert.Equal(0, await MessageCountAsync(RawClient(queueName)));
        Assert.Equal(["hello, queue"], probe.Received);
    }

    [Fact]
    public async Task Json_message_binds_to_a_record_with_web_defaults_on_a_queue_named_by_setting_and_literal()
    {
        var prefix = UniqueQueueName();
        await using var host = await StartAsync(typeof(JsonQueueFunction), new() { ["QueuePrefix"] = prefix });
        await ListeningAsync(host, "JsonQueue");

        await Sender($"{prefix}-json").SendMessageAsync("""{"name":"clip","COUNT":3}""");

        await Eventually.TrueAsync(() => probe.Received.Count == 1, "the message was received");
        Assert.Equal(new TestQueueMessage("clip", 3), probe.Received[0]);
        var catalog = host.App.Services.GetRequiredService<FunctionCatalog>();
        Assert.Equal($"{prefix}-json", Assert.Single(catalog.Queues).QueueName);
    }

    [Fact]
    public async Task Binary_message_binds_to_its_decoded_bytes()
    {
        var queueName = UniqueQueueName();
        await using var host = await StartAsync(typeof(BinaryQueueFunction), new() { ["BinaryQueueName"] = queueName });
        await ListeningAsync(host, "BinaryQueue");

        await Sender(queueName).SendMessageAsync(new BinaryData(new byte[] { 0, 1, 2, 255 }));

        await Eventually.TrueAsync(() => probe.Received.Count == 1, "the message was received");
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, probe.Received[0]);
    }

    [Fact]
    public async Task Failing_message_is_retried_then_moved_to_the_poison_queue_after_maxDequeueCount()
    {
        var queueName = UniqueQueueName();
        await using var host = await StartAsync(typeof(FailingQueueFunction), new()
        {
            ["FailingQueueName"] = queueName,
            [$"{QueuesSection}:maxDequeueCount"] = "3",
            [$"{QueuesSection}:visibilityTimeout"] = "00:00:00.200",
        });
        await ListeningAsync(host, "FailingQueue");

        await Sender(queueName).SendMessageAsync("never works");

        var poison = Sender($"{queueName}-poison");
        await Eventually.TrueAsync(() => host.Logs.WithEvent(nameof(DevHostLog.QueueMessagePoisoned)).Any(), "the message was moved to the poison queue");
        var moved = Assert.Single((await poison.ReceiveMessagesAsync(maxMessages: 32)).Value);
        Assert.Equal("never works", moved.Body.ToString());
        Assert.Equal(0, await MessageCountAsync(RawClient(queueName)));
        Assert.Equal(["never works", "never works", "never works"], probe.Received);

        var failures = host.Logs.WithEvent(nameof(DevHostLog.QueueMessageFailed)).ToList();
        Assert.Equal([1L, 2L, 3L], failures.Select(log => (long)log.Values["DequeueCount"]!));
        Assert.All(failures, log => Assert.Equal("queue failure", log.Exception?.Message));
        Assert.All(failures, log => Assert.Equal(LogLevel.Error, log.Level));
        Assert.Equal(2, host.Logs.WithEvent(nameof(DevHostLog.QueueMessageRetrying)).Count());
        Assert.Equal($"{queueName}-poison", host.Logs.WithEvent(nameof(DevHostLog.QueueMessagePoisoned)).Single().Values["PoisonQueueName"]);
    }

    [Fact]
    public async Task Message_that_does_not_deserialize_is_a_failed_run()
    {
        var prefix = UniqueQueueName();
        await using var host = await StartAsync(typeof(JsonQueueFunction), new()
        {
            ["QueuePrefix"] = prefix,
            [$"{QueuesSection}:maxDequeueCount"] = "1",
        });
        await ListeningAsync(host, "JsonQueue");

        await Sender($"{prefix}-json").SendMessageAsync("not json");

        await Eventually.TrueAsync(() => host.Logs.WithEvent(nameof(DevHostLog.QueueMessagePoisoned)).Any(), "the message was moved to the poison queue");
        Assert.IsAssignableFrom<JsonException>(host.Logs.WithEvent(nameof(DevHostLog.QueueMessageFailed)).Single().Exception);
        Assert.Equal("not json", Assert.Single((await Sender($"{prefix}-json-poison").ReceiveMessagesAsync()).Value).Body.ToString());
        Assert.Empty(probe.Received);
    }

    [Fact]
    public async Task Message_that_is_not_Base64_goes_to_the_poison_queue_as_it_is_without_a_run()
    {
        var queueName = UniqueQueueName();
        await using var host = await StartAsync(typeof(TextQueueFunction), new() { ["TextQueueName"] = queueName });
        await ListeningAsync(host, "TextQueue");

        await RawClient(queueName).SendMessageAsync("plain text, not base64!");

        await Eventually.TrueAsync(() => host.Logs.WithEvent(nameof(DevHostLog.QueueMessageUndecodable)).Any(), "the message was moved to the poison queue");
        Assert.Equal("plain text, not base64!", Assert.Single((await RawClient($"{queueName}-poison").ReceiveMessagesAsync()).Value).Body.ToString());
        Assert.Equal(0, await MessageCountAsync(RawClient(queueName)));
        Assert.Empty(probe.Received);
    }

    [Fact]
    public async Task At_most_batchSize_messages_run_at_once()
    {
        var queueName = UniqueQueueName();
        await using var host = await StartAsync(typeof(BlockingQueueFunction), new()
        {
            ["BlockingQueueName"] = queueName,
            [$"{QueuesSection}:batchSize"] = "2",
        });
        await ListeningAsync(host, "BlockingQueue");
        var sender = Sender(queueName);
        for (var i = 0; i < 3; i++)
        {
            await sender.SendMessageAsync(new BinaryData(new[] { (byte)i }));
        }

        await Eventually.TrueAsync(() => probe.Received.Count == 2, "two runs started");
        // Both slots are taken until the release, so the third message is still waiting, visible, in the queue.
        Assert.Single((await sender.PeekMessagesAsync(maxMessages: 32)).Value);
        Assert.Equal(2, probe.Received.Count);

        probe.Release.SetResult();
        await Eventually.TrueAsync(() => host.Logs.WithEvent(nameof(DevHostLog.QueueMessageProcessed)).Count() == 3, "all three were processed");
    }

    [Fact]
    public async Task Queue_name_setting_that_is_not_set_stops_the_start_naming_function_and_setting()
    {
        var error = await Assert.ThrowsAsync<DevHostStartupException>(() => StartAsync(typeof(TextQueueFunction), new()));

        Assert.Contains("TextQueue", error.Message);
        Assert.Contains("'TextQueueName'", error.Message);
    }
}
