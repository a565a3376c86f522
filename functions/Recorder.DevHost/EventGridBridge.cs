using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Recorder.Core.Storage;

namespace Recorder.DevHost;

/// <summary>
/// Stands in for Event Grid, since Azurite emits no events: polls the uploads container and POSTs a <c>BlobCreated</c>
/// event to the webhook for each committed blob that is new or changed, retrying as Event Grid does
/// (docs/architecture.md, "The dev host").
/// </summary>
public sealed class EventGridBridge(
    EventGridBridgeSettings settings,
    FunctionCatalog catalog,
    IConfiguration configuration,
    IOptions<StorageOptions> storage,
    IServer server,
    IHostApplicationLifetime lifetime,
    IHttpClientFactory httpClients,
    TimeProvider time,
    ILogger<EventGridBridge> logger) : BackgroundService
{
    public const string HttpClientName = nameof(EventGridBridge);

    // Webhook answers Event Grid does not retry (https://learn.microsoft.com/azure/event-grid/delivery-and-retry).
    private static readonly HashSet<HttpStatusCode> NotRetried =
        [HttpStatusCode.BadRequest, HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden, HttpStatusCode.RequestEntityTooLarge];

    // No retries inside a poll: the next poll is the retry.
    private static readonly BlobClientOptions ClientOptions =
        new() { Retry = { MaxRetries = 0, NetworkTimeout = TimeSpan.FromSeconds(10) } };

    // The blobs delivered, by name, with the ETag delivered; kept across restarts (EventBridgeMemory).
    private Dictionary<string, string> delivered = new(StringComparer.Ordinal);
    private EventBridgeMemory memory = null!;
    private long eventCount;
    private bool listing = true;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!settings.Enabled)
        {
            DevHostLog.EventBridgeOff(logger, EventGridBridgeSettings.EnabledSetting);
            return;
        }
        if (Target() is not { } target)
        {
            return;
        }

        var endpoint = new Uri(await ListeningAddressAsync(stoppingToken), target.Route);
        var key = target.AuthLevel switch
        {
            AuthorizationLevel.Anonymous => null,
            AuthorizationLevel.Function => configuration[FunctionKeyCheck.FunctionKeySetting],
            _ => configuration[FunctionKeyCheck.MasterKeySetting],
        };
        var blobs = RecordingsStorageClient.Create(configuration, ClientOptions);
        var container = blobs.GetBlobContainerClient(storage.Value.UploadsContainer);
        var webhook = new Webhook(endpoint, key, settings.Topic ?? EventGridBridgeSettings.DefaultTopic(blobs.AccountName));
        DevHostLog.EventBridgeWatching(logger, container.Name, target.Name, endpoint, settings.Interval);
        memory = new EventBridgeMemory(blobs, container.Name);
        delivered = await RememberAsync(stoppingToken);

        while (true)
        {
            await PollAsync(container, webhook, stoppingToken);
            await Task.Delay(settings.Interval, time, stoppingToken);
        }
    }

    /// <summary>
    /// What earlier runs announced; until storage answers, the bridge waits (announcing everything again would be a lie).
    /// </summary>
    private async Task<Dictionary<string, string>> RememberAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                return await memory.LoadAsync(stoppingToken);
            }
            catch (Exception exception)
                when (exception is RequestFailedException or AggregateException or HttpRequestException
                    && !stoppingToken.IsCancellationRequested)
            {
                DevHostLog.EventBridgeMemoryFailed(logger, exception, EventBridgeMemory.ContainerName, settings.Interval);
                await Task.Delay(settings.Interval, time, stoppingToken);
            }
        }
    }

    private HttpFunction? Target()
    {
        var function = catalog.Http.FirstOrDefault(f => string.Equals(f.Name, settings.TargetFunction, StringComparison.OrdinalIgnoreCase));
        var problem = function is null ? "there is no HTTP function of that name"
            : function.Route.Contains('{', StringComparison.Ordinal) ? $"its route '{function.Route}' has parameters"
            : function.HttpMethods.Count > 0 && !function.HttpMethods.Contains("POST") ? "it does not take POST"
            : null;
        if (problem is not null)
        {
            DevHostLog.EventBridgeIdle(logger, settings.TargetFunction, problem, EventGridBridgeSettings.TargetSetting);
        }
        return problem is null ? function : null;
    }

    /// <summary>Where Kestrel listens, a wildcard made loopback. Known once the app has started (hosted services start first).</summary>
    private async Task<Uri> ListeningAddressAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            ?? addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("The server reports no listening address.");
        var uri = new UriBuilder(
            address.Replace("://*", "://localhost", StringComparison.Ordinal).Replace("://+", "://localhost", StringComparison.Ordinal));
        if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)))
        {
            uri.Host = "localhost";
        }
        return uri.Uri;
    }

    private async Task PollAsync(BlobContainerClient container, Webhook webhook, CancellationToken stoppingToken)
    {
        // Committed blobs only: a listing without BlobStates.Uncommitted leaves out blobs whose blocks are only staged.
        var blobs = new List<BlobItem>();
        try
        {
            await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.CopyStatus }, stoppingToken))
            {
                blobs.Add(blob);
            }
        }
        catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
        {
            // Azurite down or the container not made yet: say so once, until a listing works again.
            if (listing)
            {
                DevHostLog.EventBridgeListFailed(logger, exception, container.Name, settings.Interval);
                listing = false;
            }
            return;
        }
        listing = true;

        var changed = false;
        foreach (var blob in blobs)
        {
            var eTag = ETagText(blob.Properties.ETag);
            if (!(delivered.TryGetValue(blob.Name, out var deliveredETag) && deliveredETag == eTag)
                && await DeliverAsync(container, blob, eTag, webhook, stoppingToken))
            {
                delivered[blob.Name] = eTag;
                changed = true;
            }
        }
        // A deleted blob is forgotten, so one made again under its name is new.
        var present = blobs.Select(b => b.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in delivered.Keys.Where(name => !present.Contains(name)).ToList())
        {
            changed |= delivered.Remove(gone);
        }
        if (changed)
        {
            await SaveAsync(stoppingToken);
        }
    }

    private async Task SaveAsync(CancellationToken stoppingToken)
    {
        try
        {
            await memory.SaveAsync(delivered, stoppingToken);
        }
        catch (Exception exception)
            when (exception is RequestFailedException or AggregateException or HttpRequestException
                && !stoppingToken.IsCancellationRequested)
        {
            // Kept in memory; the next change saves it. A restart before then
            // announces those blobs again (harmless: the app takes duplicates).
            DevHostLog.EventBridgeMemoryFailed(logger, exception, EventBridgeMemory.ContainerName, settings.Interval);
        }
    }

    /// <returns>Whether the event is settled (delivered or dropped); false to deliver it again on the next poll.</returns>
    private async Task<bool> DeliverAsync(
        BlobContainerClient container, BlobItem blob, string eTag, Webhook webhook, CancellationToken stoppingToken)
    {
        try
        {
            var api = await ApiAsync(container, blob, stoppingToken);
            using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Endpoint)
            {
                Content = new StringContent(Event(container, blob, eTag, api, webhook.Topic).ToJsonString(), Encoding.UTF8,
                    "application/json"),
            };
            request.Headers.Add("aeg-event-type", "Notification");
            if (webhook.Key is not null)
            {
                request.Headers.Add(FunctionKeyCheck.KeyHeader, webhook.Key);
            }
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, stoppingToken);

            if (response.IsSuccessStatusCode)
            {
                DevHostLog.EventBridgeDelivered(logger, blob.Name, api, eTag, (int)response.StatusCode);
                return true;
            }
            if (NotRetried.Contains(response.StatusCode))
            {
                DevHostLog.EventBridgeDropped(logger, blob.Name, eTag, (int)response.StatusCode);
                return true;
            }
            DevHostLog.EventBridgeRetrying(logger, blob.Name, eTag, (int)response.StatusCode);
            return false;
        }
        catch (RequestFailedException exception) when (exception.Status == (int)HttpStatusCode.NotFound)
        {
            // Deleted since the listing: nothing to announce, and the next listing forgets it.
            return true;
        }
        catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
        {
            DevHostLog.EventBridgeNotDelivered(logger, exception, blob.Name, eTag);
            return false;
        }
    }

    /// <summary>The storage operation Event Grid would name for how this blob came to be.</summary>
    private static async Task<string> ApiAsync(BlobContainerClient container, BlobItem blob, CancellationToken cancellationToken)
    {
        if (blob.Properties.CopyId is not null || blob.Properties.CopySource is not null)
        {
            return "CopyBlob";
        }
        if (blob.Properties.BlobType != BlobType.Block)
        {
            return "PutBlob";
        }
        var blocks = await container.GetBlockBlobClient(blob.Name)
            .GetBlockListAsync(BlockListTypes.Committed, cancellationToken: cancellationToken);
        return blocks.Value.CommittedBlocks.Any() ? "PutBlockList" : "PutBlob";
    }

    private JsonArray Event(BlobContainerClient container, BlobItem blob, string eTag, string api, string topic)
    {
        var committed = blob.Properties.LastModified ?? time.GetUtcNow();
        var sequencer = $"{committed.UtcTicks:X16}{++eventCount:X16}";
        return
        [
            new JsonObject
            {
                ["id"] = Guid.NewGuid().ToString(),
                ["topic"] = topic,
                ["subject"] = $"/blobServices/default/containers/{container.Name}/blobs/{blob.Name}",
                ["eventType"] = "Microsoft.Storage.BlobCreated",
                ["eventTime"] = committed.UtcDateTime.ToString("O"),
                ["dataVersion"] = "",
                ["metadataVersion"] = "1",
                ["data"] = new JsonObject
                {
                    ["api"] = api,
                    ["clientRequestId"] = Guid.NewGuid().ToString(),
                    ["requestId"] = Guid.NewGuid().ToString(),
                    ["eTag"] = eTag,
                    ["contentType"] = blob.Properties.ContentType ?? "application/octet-stream",
                    ["contentLength"] = blob.Properties.ContentLength ?? 0,
                    ["blobType"] = "BlockBlob",
                    ["url"] = container.GetBlobClient(blob.Name).Uri.AbsoluteUri,
                    ["sequencer"] = sequencer,
                    ["storageDiagnostics"] = new JsonObject { ["batchId"] = Guid.NewGuid().ToString() },
                },
            },
        ];
    }

    /// <summary>As Event Grid writes it: <c>0x8D…</c>, without the quotes of the HTTP header.</summary>
    private static string ETagText(ETag? eTag) => eTag?.ToString().Trim('"') ?? "";

    private sealed record Webhook(Uri Endpoint, string? Key, string Topic);
}
