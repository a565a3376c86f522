using System.Net;
using System.Text.Json;
using Azure.Messaging.EventGrid;
using Azure.Messaging.EventGrid.SystemEvents;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.DependencyInjection;
using Recorder.DevHost;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests.DevHost;

/// <summary>The bridge against Azurite and a test webhook that records what it is posted; an uploads container per test.</summary>
public sealed class EventGridBridgeTests : IAsyncLifetime
{
    private const string AzuriteTopic =
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/devstoreaccount1";

    private readonly WebhookProbe probe = new();
    private BlobContainerClient container = null!;

    public async Task InitializeAsync()
    {
        var storage = await TestStorage.CreateContainersAsync();
        container = TestStorage.CreateClient().GetBlobContainerClient(storage.UploadsContainer);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private Task<RunningDevHost> StartAsync(Dictionary<string, string?>? settings = null, Type? webhook = null)
    {
        settings ??= new();
        settings["RecordingsStorage"] = TestEnvironment.StorageConnectionString;
        settings["Storage:UploadsContainer"] = container.Name;
        settings.TryAdd(EventGridBridgeSettings.IntervalSetting, "100");
        settings.TryAdd(EventGridBridgeSettings.EnabledSetting, "true"); // the baseline turns it off for every other test
        return RunningDevHost.StartAsync([webhook ?? typeof(BlobCreatedWebhookFunction)], settings, services => services.AddSingleton(probe));
    }

    private static async Task<(string ETag, long Length)> PutBlobAsync(BlockBlobClient blob, int length, string contentType = "video/webm")
    {
        var uploaded = await blob.UploadAsync(new MemoryStream(new byte[length]), new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType } });
        return (uploaded.Value.ETag.ToString().Trim('"'), length);
    }

    private List<(WebhookDelivery Delivery, EventGridEvent Event, StorageBlobCreatedEventData Data)> DeliveriesOf(string blobName)
        => probe.Deliveries
            .Select(delivery => (delivery, Event: Assert.Single(EventGridEvent.ParseMany(BinaryData.FromString(delivery.Body)))))
            .Where(d => d.Event.Subject == $"/blobServices/default/containers/{container.Name}/blobs/{blobName}")
            .Select(d => (d.delivery, d.Event, Assert.IsType<StorageBlobCreatedEventData>(d.Event.TryGetSystemEventData(out var data) ? data : null)))
            .ToList();

    /// <summary>
    /// Uploads a blob and waits for its event: every poll covers the whole container, so once it has come, a poll
    /// that began after everything done before this call has run.
    /// </summary>
    private async Task AfterAFullPollAsync()
    {
        // Listed (and so announced) after every test blob of the same poll: listings are in name order.
        var marker = $"zz-marker-{Guid.NewGuid():N}";
        await PutBlobAsync(container.GetBlockBlobClient(marker), 1);
        await Eventually.TrueAsync(() => DeliveriesOf(marker).Any(d => d.Delivery.Status == 200), "the marker blob was announced");
    }

    [Fact]
    public async Task A_restarted_host_does_not_announce_again_what_it_announced_before_but_does_announce_what_changed_meanwhile()
    {
        var kept = container.GetBlockBlobClient("user-7/40/kept.webm");
        var changed = container.GetBlockBlobClient("user-7/41/changed.webm");
        await using (var first = await StartAsync())
        {
            await PutBlobAsync(kept, 10);
            await PutBlobAsync(changed, 10);
            await Eventually.TrueAsync(() => DeliveriesOf(kept.Name).Count == 1 && DeliveriesOf(changed.Name).Count == 1, "both blobs were announced");
        }
        await PutBlobAsync(changed, 20);

        await using (var second = await StartAsync())
        {
            await AfterAFullPollAsync();
        }

        Assert.Single(DeliveriesOf(kept.Name));
        Assert.Equal([10L, 20L], DeliveriesOf(changed.Name).Select(d => d.Data.ContentLength ?? 0).ToList());
    }

    [Fact]
    public async Task Single_put_blob_is_announced_once_as_Event_Grid_would()
    {
        await using var host = await StartAsync();
        var blob = container.GetBlockBlobClient("user-7/42/take.webm");

        var (eTag, length) = await PutBlobAsync(blob, 1234);

        await Eventually.TrueAsync(() => DeliveriesOf(blob.Name).Count == 1, "the blob was announced");
        await AfterAFullPollAsync();
        var (delivery, @event, data) = Assert.Single(DeliveriesOf(blob.Name));
        Assert.Equal(RunningDevHost.FunctionKey, delivery.Key); // the webhook is Function level: without the key it would answer 401
        Assert.Equal("Microsoft.Storage.BlobCreated", @event.EventType);
        Assert.Equal(AzuriteTopic, @event.Topic);
        Assert.Equal("", @event.DataVersion);
        Assert.True(Guid.TryParse(@event.Id, out _));
        Assert.Equal("PutBlob", data.Api);
        Assert.Equal(eTag, data.ETag);
        Assert.Equal(length, data.ContentLength);
        Assert.Equal("video/webm", data.ContentType);
        Assert.Equal("BlockBlob", data.BlobType);
        Assert.Equal(blob.Uri, data.Url is null ? null : new Uri(data.Url));
        Assert.Matches("^[0-9A-F]{32}$", data.Sequencer);

        using var raw = JsonDocument.Parse(delivery.Body);
        Assert.Equal(JsonValueKind.Array, raw.RootElement.ValueKind);
        Assert.Equal("1", raw.RootElement[0].GetProperty("metadataVersion").GetString());
        Assert.True(raw.RootElement[0].GetProperty("data").GetProperty("storageDiagnostics").GetProperty("batchId").TryGetGuid(out _));
    }

    [Fact]
    public async Task Staged_blocks_are_announced_only_once_committed_as_PutBlockList()
    {
        await using var host = await StartAsync();
        var blob = container.GetBlockBlobClient("user-7/43/take.webm");
        var blockIds = new[] { Convert.ToBase64String("block-000"u8), Convert.ToBase64String("block-001"u8) };
        await blob.StageBlockAsync(blockIds[0], new MemoryStream(new byte[300]));
        await blob.StageBlockAsync(blockIds[1], new MemoryStream(new byte[200]));

        await AfterAFullPollAsync();
        Assert.Empty(DeliveriesOf(blob.Name));

        var committed = await blob.CommitBlockListAsync(blockIds);

        await Eventually.TrueAsync(() => DeliveriesOf(blob.Name).Count == 1, "the committed blob was announced");
        var data = DeliveriesOf(blob.Name)[0].Data;
        Assert.Equal("PutBlockList", data.Api);
        Assert.Equal(500, data.ContentLength);
        Assert.Equal(committed.Value.ETag.ToString().Trim('"'), data.ETag);
    }

    [Fact]
    public async Task Overwritten_blob_is_announced_again_with_a_higher_sequencer()
    {
        await using var host = await StartAsync();
        var blob = container.GetBlockBlobClient("user-7/44/take.webm");
        await PutBlobAsync(blob, 10);
        await Eventually.TrueAsync(() => DeliveriesOf(blob.Name).Count == 1, "the first version was announced");

        var (secondETag, _) = await PutBlobAsync(blob, 20);

        await Eventually.TrueAsync(() => DeliveriesOf(blob.Name).Count == 2, "the second version was announced");
        var (first, second) = (DeliveriesOf(blob.Name)[0].Data, DeliveriesOf(blob.Name)[1].Data);
        Assert.Equal((secondETag, 20L), (second.ETag, second.ContentLength));
        Assert.NotEqual(first.ETag, second.ETag);
        Assert.True(string.CompareOrdinal(second.Sequencer, first.Sequencer) > 0, $"{second.Sequencer} should sort after {first.Sequencer}");
    }

    [Fact]
    public async Task Event_answered_5xx_is_delivered_again_on_the_next_poll()
    {
        await using var host = await StartAsync();
        probe.FailNext(1);
        var blob = container.GetBlockBlobClient("user-7/45/take.webm");

        var (eTag, _) = await PutBlobAsync(blob, 10);

        await Eventually.TrueAsync(() => DeliveriesOf(blob.Name).Count == 2, "the event was delivered again");
        await AfterAFullPollAsync();
        var deliveries = DeliveriesOf(blob.Name);
        Assert.Equal([500, 200], deliveries.Select(d => d.Delivery.Status));
        Assert.All(deliveries, d => Assert.Equal(eTag, d.Data.ETag));
        Assert.Contains(host.Logs.WithEvent(nameof(DevHostLog.EventBridgeRetrying)), log => (int)log.Values["StatusCode"]! == 500);
    }

    [Fact]
    public async Task Blobs_already_there_are_announced_on_start_with_the_app_s_topic()
    {
        const string topic = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/recordings";
        var blob = container.GetBlockBlobClient("user-7/46/take.webm");
        var (eTag, _) = await PutBlobAsync(blob, 10);

        await using var host = await StartAsync(new() { [EventGridBridgeSettings.AppTopicSetting] = topic });

        await Eventually.TrueAsync(() => DeliveriesOf(blob.Name).Count == 1, "the existing blob was announced");
        var (_, @event, data) = DeliveriesOf(blob.Name)[0];
        Assert.Equal(topic, @event.Topic);
        Assert.Equal(eTag, data.ETag);
    }

    [Fact]
    public async Task Without_the_webhook_function_the_bridge_says_so_once_and_the_host_runs()
    {
        await using var host = await StartAsync(webhook: typeof(KeyedFunctions));

        await Eventually.TrueAsync(() => host.Logs.WithEvent(nameof(DevHostLog.EventBridgeIdle)).Any(), "the bridge said it idles");
        using var response = await host.Client.GetAsync("api/open");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var idle = Assert.Single(host.Logs.WithEvent(nameof(DevHostLog.EventBridgeIdle)));
        Assert.Equal(EventGridBridgeSettings.DefaultTargetFunction, idle.FunctionName);
        Assert.Empty(host.Logs.WithEvent(nameof(DevHostLog.EventBridgeWatching)));
    }

    [Fact]
    public async Task Bridge_can_be_turned_off()
    {
        await PutBlobAsync(container.GetBlockBlobClient("user-7/47/take.webm"), 10);

        await using var host = await StartAsync(new() { [EventGridBridgeSettings.EnabledSetting] = "false" });

        await Eventually.TrueAsync(() => host.Logs.WithEvent(nameof(DevHostLog.EventBridgeOff)).Any(), "the bridge said it is off");
        Assert.Empty(host.Logs.WithEvent(nameof(DevHostLog.EventBridgeWatching)));
        Assert.Empty(probe.Deliveries);
    }

    [Theory]
    [InlineData(EventGridBridgeSettings.EnabledSetting, "maybe")]
    [InlineData(EventGridBridgeSettings.IntervalSetting, "0")]
    [InlineData(EventGridBridgeSettings.IntervalSetting, "soon")]
    public async Task Setting_that_does_not_parse_stops_the_start_naming_it(string setting, string value)
    {
        var error = await Assert.ThrowsAsync<DevHostStartupException>(() => StartAsync(new() { [setting] = value }));

        Assert.Contains(setting, error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    [Fact]
    public void Default_topic_names_the_account()
        => Assert.Equal(AzuriteTopic, EventGridBridgeSettings.DefaultTopic("devstoreaccount1"));
}
