using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;
using Npgsql;
using Recorder.Core.Storage;
using Recorder.DevHost;
using Recorder.Testing;
using Recorder.Testing.Media;
using Xunit;

namespace Recorder.E2E.Tests;

/// <summary>
/// The dev host in-process with the whole path live (API, demo sign-in, event bridge, queue workers,
/// ffmpeg) over a database, containers and a queue of its own, serving web/recorder; and one headless
/// Debian Chromium with fake camera and microphone. Shared by every test of the collection; each test
/// opens its own browser context (fresh cookies and IndexedDB) and signs in a user of its own.
/// </summary>
public sealed class E2EHost : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public const string SessionSecret = "e2e-session-secret";

    /// <summary>Small, so a few seconds of fake camera go up in several blocks.</summary>
    public const int BlockSizeBytes = 64 * 1024;

    public const int MaxSingleUploadBytes = 128 * 1024;

    /// <summary>Short enough that a test can outwait an upload URL, long enough for the other uploads.</summary>
    public static readonly TimeSpan UploadUrlLifetime = TimeSpan.FromSeconds(12);

    /// <summary>
    /// A live recording silent this long is committed by the server, whose recovery runs every 5 seconds: longer than the
    /// network cut a test makes plus the page's contact interval (a quarter of it), short enough to outwait. Not every
    /// second: the same timer re-queues an ingest attempt that gave up, and each time counts towards processing_timeout.
    /// </summary>
    public static readonly TimeSpan LiveSilenceTimeout = TimeSpan.FromSeconds(24);

    private const string Topic = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/e2e/providers/Microsoft.Storage/storageAccounts/devstoreaccount1";

    // The flags. Playwright adds its own --user-data-dir (a fresh temporary profile per launch).
    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        // getDisplayMedia picks the whole screen without a picker (screen recordings).
        "--auto-select-desktop-capture-source=Entire screen",
    ];

    private readonly MigratedDatabase database = new();
    private WebApplication app = null!;
    private IPlaywright playwright = null!;

    public StorageOptions Storage { get; private set; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        Storage = await TestStorage.CreateContainersAsync();
        await AllowBrowserUploadsAsync();
        app = DevHostApp.Build(["--urls", "http://127.0.0.1:0"], Settings());
        await app.StartAsync();
        BaseAddress = new Uri(app.Urls.Single());

        // Other test assemblies run beside this one on two cores: the page gets more than the default 5 s.
        Assertions.SetDefaultExpectTimeout(15000);
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        playwright.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    private Dictionary<string, string?> Settings() => new(TimerSchedules.Off)
    {
        [FunctionKeyCheck.FunctionKeySetting] = "e2e-function-key",
        [FunctionKeyCheck.MasterKeySetting] = "e2e-master-key",
        ["Database:AppConnectionString"] = database.AppConnectionString,
        ["Database:MaintenanceConnectionString"] = database.MaintenanceConnectionString,
        // The demo sign-in writes users and sessions as the owner, as under scripts/run.sh.
        [DemoSignIn.ConnectionSetting] = database.OwnerConnectionString,
        ["RecordingsStorage"] = TestEnvironment.StorageConnectionString,
        ["Storage:UploadsContainer"] = Storage.UploadsContainer,
        ["Storage:ProcessedContainer"] = Storage.ProcessedContainer,
        ["Storage:ThumbnailsContainer"] = Storage.ThumbnailsContainer,
        ["Storage:ExportsContainer"] = Storage.ExportsContainer,
        ["Storage:DeadLetterContainer"] = Storage.DeadLetterContainer,
        ["Storage:ErasureLedgerContainer"] = Storage.ErasureLedgerContainer,
        ["Auth:SessionSecrets:0"] = SessionSecret,
        ["Recordings:UploadBlockSizeBytes"] = BlockSizeBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Recordings:MaxSingleUploadBytes"] = MaxSingleUploadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Sas:UploadUrlLifetime"] = UploadUrlLifetime.ToString("c"),
        ["LiveUpload:SilenceTimeout"] = LiveSilenceTimeout.ToString("c"),
        ["IngestRecoverySweepSchedule"] = "*/5 * * * * *",
        ["IngestQueueName"] = "e2e-" + Guid.NewGuid().ToString("N")[..12],
        ["Ingest:StorageAccountTopic"] = Topic,
        ["DevHost:EventBridge"] = "true",
        ["DevHost:EventBridgeIntervalMs"] = "200",
        ["PrivacyExportQueueName"] = "e2e-export-" + Guid.NewGuid().ToString("N")[..12],
        ["PrivacyErasureQueueName"] = "e2e-erasure-" + Guid.NewGuid().ToString("N")[..12],
        ["Logging:LogLevel:Default"] = "Warning",
    };

    /// <summary>
    /// The page PUTs to Azurite from the dev host's origin (a random port here), so the blob service
    /// needs a CORS rule, as `recorder init-storage` makes for run.sh. Service properties are the
    /// account's, shared with every test: a wildcard rule is added once and left (test Azurite only).
    /// </summary>
    private static async Task AllowBrowserUploadsAsync()
    {
        var blobs = TestStorage.CreateClient();
        var properties = (await blobs.GetPropertiesAsync()).Value;
        if (properties.Cors.Any(rule => rule.AllowedOrigins == "*" && rule.AllowedMethods.Contains("PUT", StringComparison.Ordinal)))
        {
            return;
        }
        properties.Cors.Add(new BlobCorsRule
        {
            AllowedOrigins = "*",
            AllowedMethods = "GET,HEAD,PUT,OPTIONS",
            AllowedHeaders = "*",
            ExposedHeaders = "*",
            MaxAgeInSeconds = 600,
        });
        await blobs.SetPropertiesAsync(properties);
    }

    /// <summary>A browser context of its own (cookies, IndexedDB) on the dev host.</summary>
    public async Task<IBrowserContext> NewContextAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            AcceptDownloads = true,
        });
        await context.GrantPermissionsAsync(["camera", "microphone"]);
        return context;
    }

    public BlobContainerClient Container(string name) => TestStorage.CreateClient().GetBlobContainerClient(name);

    /// <summary>
    /// Where the media a recording serves ends (<see cref="MediaTools.PacketEndAsync"/>: ffprobe reading every packet):
    /// what MediaRecorder produced, which durations are checked against, never the wall clock of a busy machine.
    /// </summary>
    public async Task<double> MediaDurationAsync(long recordingId)
    {
        var file = Path.GetTempFileName();
        try
        {
            await DownloadMediaAsync(recordingId, file);
            return (await MediaTools.PacketEndAsync(file)).TotalSeconds;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The media a recording serves, into <paramref name="file"/>.</summary>
    public async Task DownloadMediaAsync(long recordingId, string file)
    {
        // Ingest may replace the upload with its seekable copy meanwhile: then the row names the copy.
        for (var attempt = 1; ; attempt++)
        {
            var (upload, copy) = await QuerySingleAsync<(string, string?)>(
                "SELECT blob_name, media_blob_name FROM recordings WHERE id = @recordingId", new { recordingId });
            var blob = copy is null
                ? Container(Storage.UploadsContainer).GetBlobClient(upload)
                : Container(Storage.ProcessedContainer).GetBlobClient(copy);
            try
            {
                await blob.DownloadToAsync(file);
                return;
            }
            catch (RequestFailedException exception) when (exception.Status == 404 && attempt < 5)
            {
                await Task.Delay(500);
            }
        }
    }

    /// <summary>
    /// As the schema owner, for the main app's tables (users, sessions …), which have no row-level security. The owner
    /// is no superuser, as Azure's administrator is not: FORCEd row-level security hides every recorder row from it.
    /// </summary>
    public Task<NpgsqlConnection> OpenOwnerAsync() => OpenAsync(database.OwnerConnectionString);

    /// <summary>As recorder_maintenance, which sees every user's recorder rows (migration 025).</summary>
    public Task<NpgsqlConnection> OpenMaintenanceAsync() => OpenAsync(database.MaintenanceConnectionString);

    /// <summary>One row, read as recorder_maintenance (<see cref="OpenMaintenanceAsync"/>).</summary>
    public async Task<T> QuerySingleAsync<T>(string sql, object parameters)
    {
        await using var connection = await OpenMaintenanceAsync();
        return await connection.QuerySingleAsync<T>(sql, parameters);
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }
}

[CollectionDefinition(Name)]
public sealed class E2ECollection : ICollectionFixture<E2EHost>
{
    public const string Name = "recorder page";
}
