using System.Collections.Concurrent;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Alerts;
using Recorder.Core.Data;
using Recorder.Core.Recordings;
using Recorder.Core.Tests.Fixtures;
using Recorder.Testing;

namespace Recorder.Core.Tests.Alerts;

/// <summary>One log entry: level, rendered message and the template's named values.</summary>
internal sealed record CapturedLog(LogLevel Level, string Category, string Message, IReadOnlyDictionary<string, object?> Values, Exception? Exception);

/// <summary>Keeps every log entry of a service provider, so tests can read what was logged (and what was not).</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<CapturedLog> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? pairs.ToDictionary(pair => pair.Key, pair => pair.Value) : [];
            provider.Entries.Enqueue(new CapturedLog(logLevel, category, formatter(state, exception), values, exception));
        }
    }
}

/// <summary>
/// The alerts check wired as the app wires it (<see cref="AlertsServiceCollectionExtensions.AddRecorderAlerts"/>,
/// the real named HttpClient), over a test database, with given settings and captured logs.
/// </summary>
internal sealed class AlertsHarness : IAsyncDisposable
{
    private readonly ServiceProvider provider;

    public AlertsHarness(MigratedDatabase database, Dictionary<string, string?> settings, long defaultStorageLimitBytes)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection()
            .AddLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace))
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(Options.Create(database.Options))
            .AddSingleton<RecorderDataSources>();
        services.AddOptions<RecordingsOptions>().Configure(options => options.DefaultStorageLimitBytes = defaultStorageLimitBytes);
        services.AddRecorderAlerts();
        provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    public CapturingLoggerProvider Logs { get; } = new();

    public Task<AlertsCheckResult> RunAsync() => provider.GetRequiredService<AlertsCheckService>().RunAsync(CancellationToken.None);

    public ValueTask DisposeAsync() => provider.DisposeAsync();
}

/// <summary>An alert row as the table holds it.</summary>
internal sealed record AlertRow(
    long Id, string Kind, string Subject, string Severity, decimal Value, decimal Threshold, string Details,
    DateTime FirstSeen, DateTime LastSeen, DateTime? ResolvedAt, string? WebhookSeverity, bool WebhookResolved)
{
    public JsonElement DetailsJson => JsonDocument.Parse(Details).RootElement;
}

/// <summary>
/// Rows for the alerts tests: users as the owner, the recorder's rows across users as recorder_maintenance (the owner
/// is bound by row-level security; DatabaseConnections).
/// </summary>
internal sealed class AlertsTestData(MigratedDatabase database)
{
    public Task<NpgsqlConnection> OpenOwnerAsync() => database.OpenOwnerAsync();

    public Task<NpgsqlConnection> OpenMaintenanceAsync() => database.OpenMaintenanceAsync();

    public async Task<string> NewUserAsync(string prefix = "alert", long? limitBytes = null)
    {
        var userId = prefix + "-" + Guid.NewGuid().ToString("N")[..10];
        await using var connection = await OpenOwnerAsync();
        await connection.ExecuteAsync("INSERT INTO users (id, email, password, first_name, last_name) VALUES (@userId, @userId || '@example.test', 'x', 'Alert', 'Test')", new { userId });
        if (limitBytes is { } limit)
        {
            await using var maintenance = await OpenMaintenanceAsync();
            await maintenance.ExecuteAsync(
                "INSERT INTO user_storage_limits (user_id, limit_bytes) VALUES (@userId, @limit)", new { userId, limit });
        }
        return userId;
    }

    public async Task<long> RecordingAsync(string userId, string status, long fileSize = 10, TimeSpan? age = null, decimal? duration = null, string? failureCode = null)
    {
        await using var connection = await OpenMaintenanceAsync();
        return await connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name, status, failure_code, duration, created_at)
            VALUES (@userId, 'r', 'camera', @fileSize, 'video/webm', @userId || '/' || gen_random_uuid() || '/recording.webm', @status,
                    CASE WHEN @status = 'failed' THEN coalesce(@failureCode, 'corrupt_media') END, @duration, now() - @age)
            RETURNING id
            """,
            new { userId, status, fileSize, age = age ?? TimeSpan.FromMinutes(5), duration, failureCode });
    }

    public async Task RecordingsAsync(string userId, string status, int count, TimeSpan? age = null)
    {
        await using var connection = await OpenMaintenanceAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name, status, failure_code, created_at)
            SELECT @userId, 'r', 'camera', 10, 'video/webm', @userId || '/' || gen_random_uuid() || '/recording.webm', @status,
                   CASE WHEN @status = 'failed' THEN 'corrupt_media' END, now() - @age
            FROM generate_series(1, @count)
            """,
            new { userId, status, count, age = age ?? TimeSpan.FromMinutes(5) });
    }

    public async Task SessionsAsync(string userId, string status, int count, TimeSpan? age = null)
    {
        await using var connection = await OpenMaintenanceAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO recording_sessions (user_id, recording_type, started_at, last_heartbeat_at, ended_at, status, error_code)
            SELECT @userId, 'camera', now() - @age, now() - @age, CASE WHEN @status <> 'active' THEN now() - @age END, @status,
                   CASE WHEN @status = 'interrupted' THEN 'heartbeat_timeout' END
            FROM generate_series(1, @count)
            """,
            new { userId, status, count, age = age ?? TimeSpan.FromMinutes(5) });
    }

    public async Task<List<AlertRow>> AlertsAsync(string? kind = null)
    {
        await using var connection = await OpenOwnerAsync();
        return (await connection.QueryAsync<AlertRow>(
            """
            SELECT id AS Id, kind AS Kind, subject AS Subject, severity AS Severity, value AS Value, threshold AS Threshold, details::text AS Details,
                   first_seen AS FirstSeen, last_seen AS LastSeen, resolved_at AS ResolvedAt, webhook_severity AS WebhookSeverity, webhook_resolved AS WebhookResolved
            FROM alerts WHERE @kind IS NULL OR kind = @kind ORDER BY id
            """,
            new { kind })).AsList();
    }

    public async Task<List<AlertRow>> OpenAlertsAsync(string? kind = null) => (await AlertsAsync(kind)).Where(alert => alert.ResolvedAt is null).ToList();
}
