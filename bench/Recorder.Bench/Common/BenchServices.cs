using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Dapper;
using Npgsql;
using Recorder.Core;
using Recorder.Core.Storage;
using Recorder.Testing;

namespace Recorder.Bench.Common;

/// <summary>
/// The test profile's PostgreSQL and Azurite (scripts/bench.sh starts or reuses them and exports their
/// addresses as scripts/test.sh does): a throwaway migrated database and containers of this run's own.
/// </summary>
public sealed class BenchServices : IAsyncDisposable
{
    public const string SessionSecret = "bench-session-secret";
    public const string FunctionKey = "bench-function-key";
    public const string Topic = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/bench/providers/Microsoft.Storage/storageAccounts/devstoreaccount1";

    private BenchServices(string database, StorageOptions storage)
    {
        Database = database;
        Storage = storage;
    }

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string AdminConnectionString => Required("RECORDER_TEST_PG_ADMIN");

    public static string StorageConnectionString => Required("RECORDER_TEST_STORAGE");

    public string Database { get; }

    public StorageOptions Storage { get; }

    /// <summary>
    /// As the schema owner: the main app's tables (users, sessions …) and schema changes. The owner is no superuser (as
    /// Azure's administrator is not), so FORCEd row-level security hides every recorder row from it: those are read and
    /// seeded as recorder_maintenance (<see cref="MaintenanceConnectionString"/>), which sees every user's.
    /// </summary>
    public string OwnerConnectionString => ConnectionString(Database);

    public string AppConnectionString => ConnectionString(Database, "recorder_app");

    public string MaintenanceConnectionString => ConnectionString(Database, "recorder_maintenance");

    public static BlobServiceClient Blobs() => new(StorageConnectionString);

    /// <summary>A new database migrated from migrations/ (as <c>recorder migrate</c> does) and new containers.</summary>
    public static async Task<BenchServices> CreateAsync(string purpose, bool withContainers = true)
    {
        var name = $"bench_{purpose}_{DateTime.UtcNow:MMddHHmmss}";
        await using (var admin = new NpgsqlConnection(ConnectionString("postgres", pooling: false)))
        {
            await admin.ExecuteAsync($"CREATE DATABASE {name}");
        }
        await TestDatabases.ApplyMigrationsAsync(ConnectionString(name, pooling: false));
        var prefix = "b" + Guid.NewGuid().ToString("N")[..10];
        var storage = new StorageOptions
        {
            UploadsContainer = $"{prefix}-uploads",
            ProcessedContainer = $"{prefix}-processed",
            ThumbnailsContainer = $"{prefix}-thumbnails",
            ExportsContainer = $"{prefix}-exports",
            DeadLetterContainer = $"{prefix}-deadletter",
            ErasureLedgerContainer = $"{prefix}-ledger",
        };
        if (withContainers)
        {
            var blobs = Blobs();
            foreach (var container in storage.AllContainers)
            {
                await blobs.CreateBlobContainerAsync(container);
            }
        }
        return new BenchServices(name, storage);
    }

    public static string ConnectionString(string database, string? role = null, bool pooling = true)
    {
        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database, Pooling = pooling, MaxPoolSize = 100 };
        if (role is not null)
        {
            builder.Username = role;
        }
        return builder.ConnectionString;
    }

    /// <summary>The settings of a bench host over this database and these containers (keys as in local.settings.json).</summary>
    public Dictionary<string, string?> HostSettings(string? blobEndpoint = null)
    {
        var storageConnection = blobEndpoint is null ? StorageConnectionString
            : TestStorage.ConnectionStringWithBlobEndpoint(StorageConnectionString, blobEndpoint);
        var settings = AppSettings(IngestQueueName);
        settings["Database:AppConnectionString"] = AppConnectionString;
        settings["Database:MaintenanceConnectionString"] = MaintenanceConnectionString;
        settings["Database:MigratorConnectionString"] = OwnerConnectionString;
        settings["RecordingsStorage"] = storageConnection;
        settings["AzureWebJobsStorage"] = StorageConnectionString;
        settings["Storage:UploadsContainer"] = Storage.UploadsContainer;
        settings["Storage:ProcessedContainer"] = Storage.ProcessedContainer;
        settings["Storage:ThumbnailsContainer"] = Storage.ThumbnailsContainer;
        settings["Storage:ExportsContainer"] = Storage.ExportsContainer;
        settings["Storage:DeadLetterContainer"] = Storage.DeadLetterContainer;
        settings["Storage:ErasureLedgerContainer"] = Storage.ErasureLedgerContainer;
        return settings;
    }

    /// <summary>
    /// A bench host's settings other than where its services are: the bench's keys and topic, queues named after
    /// <paramref name="ingestQueueName"/>, no event bridge and no timers (a benchmark drives what it measures).
    /// </summary>
    public static Dictionary<string, string?> AppSettings(string ingestQueueName) => new(TimerSchedules.Off)
    {
        ["Auth:SessionSecrets:0"] = SessionSecret,
        ["DevHost:FunctionKey"] = FunctionKey,
        ["DevHost:MasterKey"] = FunctionKey + "-master",
        ["DevHost:EventBridge"] = "false",
        ["IngestQueueName"] = ingestQueueName,
        ["Ingest:StorageAccountTopic"] = Topic,
        ["PrivacyExportQueueName"] = ingestQueueName + "-export",
        ["PrivacyErasureQueueName"] = ingestQueueName + "-erasure",
        // Both the API and its ceiling log at Warning: per-request Information lines on the console would measure the console.
        ["Logging:LogLevel:Default"] = "Warning",
    };

    /// <summary>
    /// The app's own services (AddRecorderCore) over <see cref="HostSettings"/> and <paramref name="overrides"/>, for benchmarks
    /// that call them in process.
    /// </summary>
    public ServiceProvider CoreServices(IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(HostSettings())
            .AddInMemoryCollection(overrides ?? new Dictionary<string, string?>())
            .Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
        services.AddRecorderCore(configuration);
        return services.BuildServiceProvider();
    }

    /// <summary>Users with live sessions; each cookie is what the main app would set (signed connect.sid).</summary>
    public Task<IReadOnlyList<string>> SignInUsersAsync(int count)
    {
        var prefix = Guid.NewGuid().ToString("N")[..8];
        return TestSessions.SignInAsync(OwnerConnectionString, SessionSecret, [.. Enumerable.Range(0, count).Select(i => $"bench-{prefix}-{i}")]);
    }

    public async ValueTask DisposeAsync()
    {
        await using (var admin = new NpgsqlConnection(ConnectionString("postgres", pooling: false)))
        {
            NpgsqlConnection.ClearAllPools();
            await admin.ExecuteAsync($"DROP DATABASE IF EXISTS {Database} WITH (FORCE)");
        }
        var blobs = Blobs();
        foreach (var container in Storage.AllContainers)
        {
            await blobs.GetBlobContainerClient(container).DeleteIfExistsAsync();
        }
        var queues = new Azure.Storage.Queues.QueueServiceClient(StorageConnectionString);
        foreach (var queue in new[] { IngestQueueName, IngestQueueName + "-poison" })
        {
            await queues.GetQueueClient(queue).DeleteIfExistsAsync();
        }
    }

    /// <summary>This run's ingest queue (the app listens on %IngestQueueName% and its -poison).</summary>
    public string IngestQueueName => Storage.UploadsContainer.Replace("-uploads", "-ingest", StringComparison.Ordinal);

    private static string Required(string name)
        => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run the benchmarks with scripts/bench.sh, which starts PostgreSQL and Azurite and sets it.");

    private static string FindRepositoryRoot()
    {
        // scripts/bench.sh names it: the build output may be copied elsewhere for a long run.
        if (Environment.GetEnvironmentVariable("RECORDER_BENCH_REPOSITORY") is { Length: > 0 } named)
        {
            return named;
        }
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Recorder.Functions.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No Recorder.Functions.sln above {AppContext.BaseDirectory}.");
    }
}
