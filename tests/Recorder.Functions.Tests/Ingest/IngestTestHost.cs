using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using Dapper;
using Npgsql;
using Recorder.Functions.Tests.Api;
using Recorder.Functions.Tests.DevHost;
using Recorder.Testing;
using Recorder.Testing.Media;
using Recorder.Testing.Services;
using Xunit;

namespace Recorder.Functions.Tests.Ingest;

/// <summary>
/// The dev host with the whole ingest path live: API, event bridge watching its own uploads container
/// in Azurite, queue-triggered workers on its own queue, real ffmpeg, a database of its own.
/// </summary>
public class IngestTestHost : IAsyncLifetime
{
    public const string Topic = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/test/providers/Microsoft.Storage/storageAccounts/devstoreaccount1";

    private readonly ApiTestHost api = new();
    private RunningDevHost host = null!;

    public string QueueName { get; } = "ingest-" + Guid.NewGuid().ToString("N")[..12];

    public ApiTestHost Api => api;

    /// <summary>Whether the dev host's bridge posts BlobCreated events itself (tests of the webhook post their own).</summary>
    protected virtual bool EventBridge => true;

    /// <summary>Settings a variant of this host changes.</summary>
    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    public Uri BaseAddress => host.Client.BaseAddress!;

    /// <summary>What the host and the app logged (a queue message processed, say).</summary>
    internal CapturedLogs Logs => host.Logs;

    public async Task InitializeAsync()
    {
        await api.InitializeAsync(startHost: false);
        host = await RunningDevHost.StartAsync(functionTypes: null, Settings());
        api.BaseAddressOverride = host.Client.BaseAddress;
    }

    /// <summary>The settings of this host; a test may start a variant (e.g. with PostgreSQL unreachable).</summary>
    public Dictionary<string, string?> Settings(string? maintenanceConnectionString = null)
    {
        var settings = api.Settings(api.Database.AppConnectionString, TestEnvironment.StorageConnectionString);
        settings["Database:MaintenanceConnectionString"] = maintenanceConnectionString ?? api.Database.MaintenanceConnectionString;
        settings["Storage:DeadLetterContainer"] = api.Storage.DeadLetterContainer;
        settings["Storage:ErasureLedgerContainer"] = api.Storage.ErasureLedgerContainer;
        settings["IngestQueueName"] = QueueName;
        settings["Ingest:StorageAccountTopic"] = Topic;
        settings["Ingest:CreateTranscriptionTasks"] = "true";
        settings["DevHost:EventBridge"] = EventBridge ? "true" : "false";
        settings["DevHost:EventBridgeIntervalMs"] = "200";
        Configure(settings);
        return settings;
    }

    public virtual async Task DisposeAsync()
    {
        await host.DisposeAsync();
        await api.DisposeAsync();
    }

    public HttpClient WebhookClient()
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-functions-key", RunningDevHost.FunctionKey);
        return client;
    }

    /// <summary>Asks for an upload URL as <paramref name="user"/> and uploads <paramref name="content"/> to it in one PUT.</summary>
    public async Task<long> UploadAsync(TestUser user, byte[] content, string recordingType, string mimeType)
    {
        using var response = await user.Client.PostAsync("api/recordings/uploads", Recorder.Functions.Tests.Api.Api.Json(new
        {
            title = "Ingest test",
            recordingType,
            mimeType,
            fileSize = Math.Max(content.Length, 1),
        }));
        var ticket = await response.AssertOkAsync(System.Net.HttpStatusCode.Created);
        var blob = new Azure.Storage.Blobs.Specialized.BlockBlobClient(new Uri(ticket.GetProperty("uploadUrl").GetString()!));
        await blob.UploadAsync(new MemoryStream(content), new Azure.Storage.Blobs.Models.BlobUploadOptions { HttpHeaders = new() { ContentType = mimeType } });
        return ticket.GetProperty("recordingId").GetInt64();
    }

    /// <summary>Polls the API until the recording leaves 'uploading'/'processing'; fails after the timeout.</summary>
    public async Task<JsonElement> WaitForOutcomeAsync(TestUser user, long id, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var recording = await (await user.Client.GetAsync($"api/recordings/{id}")).Content.ReadFromJsonAsync<JsonElement>();
            if (recording.GetProperty("status").GetString() is "completed" or "failed")
            {
                return recording;
            }
            Assert.True(DateTime.UtcNow < deadline, $"recording {id} still '{recording.GetProperty("status").GetString()}' after the timeout");
            await Task.Delay(100);
        }
    }

    public BlobContainerClient Container(string name) => TestStorage.CreateClient().GetBlobContainerClient(name);

    /// <inheritdoc cref="ApiTestHost.OpenOwnerAsync"/>
    public Task<NpgsqlConnection> OpenOwnerAsync() => api.OpenOwnerAsync();

    /// <inheritdoc cref="ApiTestHost.OpenMaintenanceAsync"/>
    public Task<NpgsqlConnection> OpenMaintenanceAsync() => api.OpenMaintenanceAsync();

    /// <summary>A count over every user's rows, as recorder_maintenance.</summary>
    public async Task<int> CountAsync(string sql, object parameters)
    {
        await using var connection = await OpenMaintenanceAsync();
        return await connection.ExecuteScalarAsync<int>(sql, parameters);
    }
}

/// <summary>The ingest host without the event bridge: tests deliver (and re-deliver, and reorder) events themselves.</summary>
public sealed class WebhookTestHost : IngestTestHost
{
    protected override bool EventBridge => false;
}

/// <summary>
/// An ingest host whose ffprobe waits at a <see cref="ToolGate"/> until the test opens it, so the test can act while a
/// recording is being probed (the worker holds its lease). One per test: <see cref="StartAsync"/>.
/// </summary>
public sealed class GatedIngestTestHost(bool eventBridge) : IngestTestHost, IAsyncDisposable
{
    public ToolGate Gate { get; } = new();

    protected override bool EventBridge => eventBridge;

    /// <param name="eventBridge">False: the test delivers the events itself.</param>
    public static async Task<GatedIngestTestHost> StartAsync(bool eventBridge = true)
    {
        var host = new GatedIngestTestHost(eventBridge);
        await host.InitializeAsync();
        return host;
    }

    /// <summary>Waits until <paramref name="count"/> ingest queue messages have been processed (the worker is done with them).</summary>
    public Task WaitForIngestMessagesAsync(int count)
        => Eventually.TrueAsync(() => Logs.WithEvent("QueueMessageProcessed").Count(entry => entry.FunctionName == "IngestRecording") >= count,
            $"{count} ingest messages are processed");

    protected override void Configure(Dictionary<string, string?> settings) => settings["Media:FfprobePath"] = Gate.Path;

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        Gate.Dispose();
        await DisposeAsync();
    }
}

/// <summary>
/// An ingest host whose seekable copies wait at a <see cref="ToolGate"/> on their remux (ffmpeg <c>-c copy</c>) until the
/// test opens it: the test sees a recording completed and serving its first copy, then lets the copy replace it.
/// </summary>
public sealed class RemuxGatedIngestTestHost : IngestTestHost
{
    public ToolGate Gate { get; } = new("ffmpeg", holding: " -c copy ");

    protected override void Configure(Dictionary<string, string?> settings) => settings["Media:FfmpegPath"] = Gate.Path;

    public override async Task DisposeAsync()
    {
        Gate.Dispose();
        await base.DisposeAsync();
    }
}

/// <summary>An ingest host whose workers always fail (ffprobe is missing) and give up fast: the poison path.</summary>
public sealed class PoisonTestHost : IngestTestHost
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Media:FfprobePath"] = "/nonexistent/ffprobe";
        settings["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"] = "2";
        settings["AzureFunctionsJobHost:extensions:queues:visibilityTimeout"] = "00:00:00.200";
    }
}

/// <summary>An ingest host whose seekable-copy disk budget is smaller than any recording: copies are never made.</summary>
public sealed class TinyDiskIngestTestHost : IngestTestHost
{
    protected override void Configure(Dictionary<string, string?> settings) => settings["Ingest:SeekableCopyDiskBudgetBytes"] = "1024";
}

/// <summary>
/// An ingest host whose blob traffic — the app's own range reads and ffprobe/ffmpeg's over the read SAS URLs — goes through
/// a <see cref="CountingProxy"/>, so a test can bound what storage serves for a recording.
/// </summary>
public sealed class CountingIngestTestHost : IngestTestHost
{
    public CountingProxy Proxy { get; } = new(TestStorage.CreateClient().Uri);

    /// <summary>What storage sent for reads (GET, HEAD) of one blob of the uploads container, HTTP headers included.</summary>
    public long BytesServed(string uploadBlobName) => Proxy.Requests
        .Where(request => request.Method is "GET" or "HEAD"
            && request.Path.EndsWith($"/{Api.Storage.UploadsContainer}/{uploadBlobName}", StringComparison.Ordinal))
        .Sum(request => Interlocked.Read(ref request.Bytes));

    protected override void Configure(Dictionary<string, string?> settings)
        => settings["RecordingsStorage"] =
            TestStorage.ConnectionStringWithBlobEndpoint(TestEnvironment.StorageConnectionString, Proxy.BlobEndpoint);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Proxy.DisposeAsync();
    }
}
