using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Recorder.Core.Ingest;
using Recorder.Core.Lifecycle;
using Recorder.Core.Storage;
using Recorder.Testing;

namespace Recorder.Core.Tests.Lifecycle;

/// <summary>
/// The app's own services (AddRecorderCore, as the Functions app and the CLI build them) over a test
/// database, Azurite containers and an ingest queue of the test's own; lifecycle settings, other settings and
/// the blob client can be replaced per run.
/// </summary>
internal sealed class LifecycleHarness(MigratedDatabase database, StorageOptions storage, string queueName)
{
    public string QueueName => queueName;

    public const string Topic = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/test/providers/Microsoft.Storage/storageAccounts/devstoreaccount1";

    public ServiceProvider Build(LifecycleOptions? lifecycle = null, BlobServiceClient? blobs = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:AppConnectionString"] = database.AppConnectionString,
            ["Database:MaintenanceConnectionString"] = database.MaintenanceConnectionString,
            ["RecordingsStorage"] = TestEnvironment.StorageConnectionString,
            ["Storage:UploadsContainer"] = storage.UploadsContainer,
            ["Storage:ProcessedContainer"] = storage.ProcessedContainer,
            ["Storage:ThumbnailsContainer"] = storage.ThumbnailsContainer,
            ["Storage:ExportsContainer"] = storage.ExportsContainer,
            ["Storage:DeadLetterContainer"] = storage.DeadLetterContainer,
            ["Storage:ErasureLedgerContainer"] = storage.ErasureLedgerContainer,
            [IngestQueue.QueueNameSetting] = queueName,
            ["Ingest:StorageAccountTopic"] = Topic,
        }).AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
        services.AddRecorderCore(configuration);
        if (lifecycle is not null)
        {
            services.AddSingleton(Options.Create(lifecycle));
        }
        if (blobs is not null)
        {
            services.AddSingleton(blobs);
        }
        return services.BuildServiceProvider();
    }

    public async Task<LifecycleSweepResult> RunAsync(LifecycleOptions? lifecycle = null, BlobServiceClient? blobs = null, CancellationToken cancellationToken = default)
    {
        await using var services = Build(lifecycle, blobs);
        return await services.GetRequiredService<RecordingLifecycleSweeper>().RunAsync(cancellationToken);
    }

    /// <summary>Takes every message off the test's ingest queue, as the queue trigger would receive them.</summary>
    public Task<List<IngestMessage>> ReceiveAsync() => ReceiveAsync<IngestMessage>(queueName);

    /// <summary>Takes every message off the queue, as a queue trigger would receive them.</summary>
    public static async Task<List<T>> ReceiveAsync<T>(string queueName)
    {
        var queue = new QueueClient(TestEnvironment.StorageConnectionString, queueName, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        if (!await queue.ExistsAsync())
        {
            return [];
        }
        var messages = (await queue.ReceiveMessagesAsync(32)).Value;
        foreach (var message in messages)
        {
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        }
        return messages.Select(message => JsonSerializer.Deserialize<T>(message.Body.ToString(), new JsonSerializerOptions(JsonSerializerDefaults.Web))!).ToList();
    }

    /// <summary>Azurite's blob client with <paramref name="policy"/> in its pipeline.</summary>
    public static BlobServiceClient BlobsWith(HttpPipelinePolicy policy)
    {
        var options = new BlobClientOptions();
        options.AddPolicy(policy, HttpPipelinePosition.PerCall);
        return new BlobServiceClient(TestEnvironment.StorageConnectionString, options);
    }
}

/// <summary>
/// Acts on the first request the real blob client sends to Azurite that <paramref name="matches"/>: runs
/// <paramref name="before"/> before it goes out and <paramref name="after"/> once Azurite answered. This is how a
/// test stops a sweep or a worker at an exact point (cancelling its token) or acts while it is held there; the
/// request itself is real. Other matching requests wait until <paramref name="before"/> has run, and no request goes out
/// on a token it cancelled.
/// </summary>
internal sealed class OnFirstBlobRequest(Func<HttpMessage, bool> matches, Func<Task>? before = null, Func<Task>? after = null) : HttpPipelinePolicy
{
    private readonly TaskCompletionSource firstBegun = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int seen;

    /// <summary>On the first blob DELETE.</summary>
    public static OnFirstBlobRequest Delete(Func<Task>? before = null, Action? after = null)
        => new(message => message.Request.Method == RequestMethod.Delete, before, after is null ? null : () => { after(); return Task.CompletedTask; });

    /// <summary>On the first write (PUT) to <paramref name="container"/>.</summary>
    public static OnFirstBlobRequest PutInto(string container, Func<Task>? before = null, Func<Task>? after = null)
        => new(message => message.Request.Method == RequestMethod.Put && message.Request.Uri.Path.Contains($"/{container}/", StringComparison.Ordinal), before, after);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        => ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var matching = matches(message);
        var first = matching && Interlocked.Exchange(ref seen, 1) == 0;
        if (first)
        {
            if (before is not null)
            {
                await before();
            }
            firstBegun.TrySetResult();
        }
        else if (matching)
        {
            // Requests sent beside the first (the sweeper deletes many blobs at once) wait for its `before`, and none goes
            // out once that has cancelled the run: as if the process had died at that moment.
            await firstBegun.Task;
        }
        message.CancellationToken.ThrowIfCancellationRequested();
        await ProcessNextAsync(message, pipeline);
        if (first && after is not null)
        {
            await after();
        }
    }
}
