using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Data;
using Recorder.Core.Notifications;
using Recorder.Core.Tests.Alerts;
using Recorder.Core.Tests.Fixtures;
using Recorder.Testing;

namespace Recorder.Core.Tests.Notifications;

/// <summary>One recording event as the channel or the webhook carried it.</summary>
internal sealed record RecordingEvent(
    Guid EventId, long Sequence, long Id, string? UserId, string Status, string? FailureCode, bool Recovered, DateTimeOffset OccurredAt)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static RecordingEvent Parse(string json) => JsonSerializer.Deserialize<RecordingEvent>(json, Json)!;

    /// <summary>The members every payload has, and no other.</summary>
    public static readonly string[] Members = ["eventId", "failureCode", "id", "occurredAt", "recovered", "sequence", "status", "userId"];
}

/// <summary>The delivery wired as the app wires it (<see cref="NotificationsServiceCollectionExtensions"/>), with captured logs.</summary>
internal sealed class DeliveryHarness : IAsyncDisposable
{
    public const string Secret = "test-webhook-secret-of-at-least-32-bytes";

    private readonly ServiceProvider provider;

    public DeliveryHarness(MigratedDatabase database, string? url, Dictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Webhooks:Url"] = url,
            ["Webhooks:Secret"] = Secret,
            ["Webhooks:FirstRetryDelay"] = "00:00:00.100",
            ["Webhooks:MaxRetryDelay"] = "00:00:00.400",
            ["Webhooks:Timeout"] = "00:00:05",
        };
        foreach (var (key, value) in settings ?? [])
        {
            values[key] = value;
        }
        var services = new ServiceCollection()
            .AddLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace))
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build())
            .AddSingleton(Options.Create(database.Options))
            .AddSingleton<RecorderDataSources>();
        services.AddRecordingNotifications();
        provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    public CapturingLoggerProvider Logs { get; } = new();

    public Task<RecordingWebhookRun> RunAsync() => provider.GetRequiredService<RecordingWebhookDelivery>().RunAsync(CancellationToken.None);

    /// <summary>No log entry quotes the URL's token or the secret.</summary>
    public bool LoggedNoSecret() => !Logs.Entries.Any(entry =>
        $"{entry.Message} {string.Join(' ', entry.Values.Values)} {entry.Exception}" is var text
        && (text.Contains("T0KEN", StringComparison.Ordinal) || text.Contains(Secret, StringComparison.Ordinal)));

    public ValueTask DisposeAsync() => provider.DisposeAsync();
}

/// <summary>
/// A receiver's check of <c>Recorder-Signature</c>, written from docs/notifications.md and not from the app's code: the
/// HMAC-SHA256 of "t.body" under the secret, compared in constant time, and t within the replay window of now.
/// </summary>
internal static class ReceiverCheck
{
    public static readonly TimeSpan ReplayWindow = TimeSpan.FromMinutes(5);

    public static bool Verifies(string? header, string body, string secret, DateTimeOffset now)
    {
        var parts = (header ?? "").Split(',').Select(part => part.Split('=', 2)).Where(pair => pair.Length == 2)
            .ToLookup(pair => pair[0], pair => pair[1]);
        if (!long.TryParse(parts["t"].FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var t)
            || (now - DateTimeOffset.FromUnixTimeSeconds(t)).Duration() > ReplayWindow)
        {
            return false;
        }
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{body}"));
        return parts["v1"].Any(v1 => v1.Length == 64
            && CryptographicOperations.FixedTimeEquals(expected, Convert.FromHexString(v1)));
    }

    public static long Timestamp(string header)
        => long.Parse(header.Split(',').Single(part => part.StartsWith("t=", StringComparison.Ordinal))[2..], CultureInfo.InvariantCulture);
}

/// <summary>Users as the owner; recordings and their changes as recorder_maintenance or as the user (recorder_app).</summary>
internal sealed class EventsTestData(MigratedDatabase database)
{
    public async Task<string> NewUserAsync()
    {
        var userId = "events-" + Guid.NewGuid().ToString("N")[..10];
        await using var owner = await database.OpenOwnerAsync();
        await owner.ExecuteAsync(
            """
            INSERT INTO users (id, email, password, first_name, last_name)
            VALUES (@userId, @userId || '@example.test', 'x', 'Ev', 'Ents')
            """,
            new { userId });
        return userId;
    }

    /// <summary>A new recording, 'uploading', inserted as its user through recorder_app (the upload path's role).</summary>
    public async Task<long> NewRecordingAsync(string userId, bool live = false)
    {
        await using var app = new NpgsqlConnection(database.AppConnectionString);
        await app.OpenAsync();
        await using var transaction = await app.BeginTransactionAsync();
        await app.ExecuteAsync("SELECT set_config('app.user_id', @userId, true)", new { userId }, transaction);
        var id = await app.ExecuteScalarAsync<long>(
            """
            INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name, live, live_contact_at)
            VALUES (@userId, 'Private title', 'camera', 10, 'video/webm',
                    left(@userId, 100) || '/' || gen_random_uuid() || '/secret-name.webm', @live, CASE WHEN @live THEN now() END)
            RETURNING id
            """, new { userId, live }, transaction);
        await transaction.CommitAsync();
        return id;
    }

    /// <summary>Runs <paramref name="sql"/> as recorder_maintenance (the timers' and ingest's role) and commits.</summary>
    /// <returns>The rows it changed.</returns>
    public async Task<int> MaintenanceAsync(string sql, object parameters)
    {
        await using var maintenance = await database.OpenMaintenanceAsync();
        return await maintenance.ExecuteAsync(sql, parameters);
    }

    /// <summary>Runs <paramref name="sql"/> as the user through recorder_app and commits.</summary>
    public async Task AsUserAsync(string userId, string sql, object parameters)
    {
        await using var app = new NpgsqlConnection(database.AppConnectionString);
        await app.OpenAsync();
        await using var transaction = await app.BeginTransactionAsync();
        await app.ExecuteAsync("SELECT set_config('app.user_id', @userId, true)", new { userId }, transaction);
        await app.ExecuteAsync(sql, parameters, transaction);
        await transaction.CommitAsync();
    }

    /// <summary>The outbox's rows, oldest first, as recorder_maintenance.</summary>
    public async Task<List<(long Id, string Payload, DateTime? DeliveredAt, DateTime? AbandonedAt, int Attempts)>> OutboxAsync()
    {
        await using var maintenance = await database.OpenMaintenanceAsync();
        return (await maintenance.QueryAsync<(long, string, DateTime?, DateTime?, int)>(
            "SELECT id, payload::text, delivered_at, abandoned_at, attempts FROM recording_events ORDER BY id")).AsList();
    }
}
