using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Recorder.DevHost;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests.DevHost;

/// <summary>
/// The dev host built by <see cref="DevHostApp.Build"/> and started in-process on a free loopback port;
/// tests speak real HTTP to its Kestrel. Each test starts its own, so tests share no state.
/// </summary>
internal sealed class RunningDevHost : IAsyncDisposable
{
    public const string FunctionKey = "test-function-key";
    public const string MasterKey = "test-master-key";

    private RunningDevHost(WebApplication app, CapturedLogs logs)
    {
        App = app;
        Logs = logs;
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public CapturedLogs Logs { get; }

    /// <summary>
    /// Settings every test host gets, whatever local.settings.json or the environment hold: known keys, and
    /// dependencies on a closed loopback port, so nothing here needs (or touches) a real database or Azurite.
    /// </summary>
    public static Dictionary<string, string?> BaselineSettings() => new(TimerSchedules.Off)
    {
        [FunctionKeyCheck.FunctionKeySetting] = FunctionKey,
        [FunctionKeyCheck.MasterKeySetting] = MasterKey,
        ["Database:AppConnectionString"] = "Host=127.0.0.1;Port=9;Database=recorder;Username=recorder_app;Timeout=3",
        ["Database:MaintenanceConnectionString"] = "Host=127.0.0.1;Port=9;Database=recorder;Username=recorder_maintenance;Timeout=3",
        // Azurite's published well-known development account, on a port nothing listens on.
        ["RecordingsStorage"] = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
            "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
            "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;",
        ["Auth:SessionSecrets:0"] = "baseline-session-secret",
        // The app's queue functions listen on %IngestQueueName%: each host a queue of its own.
        ["IngestQueueName"] = "t" + Guid.NewGuid().ToString("N")[..12] + "-ingest",
        ["PrivacyExportQueueName"] = "t" + Guid.NewGuid().ToString("N")[..12] + "-export",
        ["PrivacyErasureQueueName"] = "t" + Guid.NewGuid().ToString("N")[..12] + "-erasure",
        ["DevHost:EventBridge"] = "false",
        // Expected failures would fill the test output with stack traces; tests read CapturedLogs instead.
        ["Logging:Console:LogLevel:Default"] = "None",
    };

    // A developer's local.settings.json (scripts/run.sh writes one) must not reach a test's host: an empty one is read instead.
    private static readonly Lazy<string> EmptyLocalSettings = new(() =>
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("recorder-test-settings-").FullName, "local.settings.json");
        File.WriteAllText(path, """{ "IsEncrypted": false, "Values": {} }""");
        return path;
    });

    /// <param name="functionTypes">The types to take functions from; null for the real Recorder.Functions assembly.</param>
    public static async Task<RunningDevHost> StartAsync(
        IEnumerable<Type>? functionTypes,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var overrides = BaselineSettings();
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }
        var logs = new CapturedLogs();
        var arguments = new[] { "--urls", "http://127.0.0.1:0", "--settings", EmptyLocalSettings.Value };
        var app = DevHostApp.Build(arguments, overrides, functionTypes, services =>
        {
            services.AddSingleton<ILoggerProvider>(logs);
            configureServices?.Invoke(services);
        });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return new RunningDevHost(app, logs);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>Every log entry of one host, for assertions on what the dev host logged.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> entries = new();

    public IReadOnlyList<CapturedLog> Entries => [.. entries];

    public IEnumerable<CapturedLog> WithEvent(string eventName) => entries.Where(entry => entry.EventName == eventName);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<CapturedLog> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            entries.Enqueue(new CapturedLog(category, logLevel, eventId.Name, formatter(state, exception), exception,
                values.ToDictionary(pair => pair.Key, pair => pair.Value)));
        }
    }
}

/// <param name="Values">The message template's named values, e.g. FunctionName, and {OriginalFormat}.</param>
internal sealed record CapturedLog(string Category, LogLevel Level, string? EventName, string Message, Exception? Exception, IReadOnlyDictionary<string, object?> Values)
{
    public string? FunctionName => Values.TryGetValue("FunctionName", out var name) ? name as string : null;
}
