using System.Net;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging;
using Recorder.Core.Alerts;
using Recorder.Core.Tests.Fixtures;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Alerts;

/// <summary>
/// The alerts webhook against a real HTTP listener on loopback: what it receives, and that a webhook
/// that is down, failing or slow never breaks a run and gets the delivery on a later run.
/// </summary>
public sealed class AlertWebhookTests : IAsyncLifetime
{
    // Where a real webhook keeps its secret: in the path and the query. It must never reach a log.
    private const string SecretPath = "/hooks/T0KEN-path-secret";
    private const string SecretQuery = "?sig=T0KEN-query-secret";

    private readonly MigratedDatabase database = new();
    private AlertsTestData data = null!;

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        data = new AlertsTestData(database);
    }

    public Task DisposeAsync() => database.DisposeAsync();

    [Fact]
    public async Task The_webhook_receives_the_opened_alert_once_and_then_its_resolution()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var user = await data.NewUserAsync(limitBytes: 1000);
        var recording = await data.RecordingAsync(user, "completed", 1000);
        await using var alerts = Harness(receiver.BaseUrl);

        var opened = await alerts.RunAsync();

        Assert.Equal((1, 0), (opened.WebhookDelivered, opened.WebhookFailed));
        var (path, query, body) = Assert.Single(receiver.Drain());
        Assert.Equal((SecretPath, SecretQuery), (path, query));
        Assert.Equal("opened", body.GetProperty("event").GetString());
        Assert.Equal(AlertKinds.StorageUsage, body.GetProperty("kind").GetString());
        Assert.Equal(user, body.GetProperty("subject").GetString());
        Assert.Equal("critical", body.GetProperty("severity").GetString());
        Assert.Equal(100m, body.GetProperty("value").GetDecimal());
        Assert.Equal(100m, body.GetProperty("threshold").GetDecimal());
        Assert.Equal(1000, body.GetProperty("details").GetProperty("usedBytes").GetInt64());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("resolvedAt").ValueKind);
        Assert.Contains(user, body.GetProperty("text").GetString());

        // Nothing changed: nothing is sent again.
        await alerts.RunAsync();
        Assert.Empty(receiver.Drain());

        await using (var connection = await data.OpenMaintenanceAsync())
        {
            await connection.ExecuteAsync("DELETE FROM recordings WHERE id = @recording", new { recording });
        }
        var resolved = await alerts.RunAsync();

        Assert.Equal(1, resolved.WebhookDelivered);
        var resolution = Assert.Single(receiver.Drain()).Body;
        Assert.Equal(("resolved", user), (resolution.GetProperty("event").GetString(), resolution.GetProperty("subject").GetString()));
        Assert.NotEqual(JsonValueKind.Null, resolution.GetProperty("resolvedAt").ValueKind);
        Assert.True(Assert.Single(await data.AlertsAsync()).WebhookResolved);
        AssertNoSecretLogged(alerts);
    }

    [Fact]
    public async Task A_webhook_that_is_down_does_not_break_the_run_and_gets_the_alert_when_it_is_back()
    {
        var port = ClosedPort.Next();
        var user = await data.NewUserAsync(limitBytes: 1000);
        await data.RecordingAsync(user, "completed", 900);
        await using var alerts = Harness($"http://127.0.0.1:{port}");

        var down = await alerts.RunAsync();

        Assert.Equal((0, 1), (down.WebhookDelivered, down.WebhookFailed));
        Assert.Equal([AlertChanges.Opened], down.Transitions.Select(transition => transition.Change));
        var alert = Assert.Single(await data.OpenAlertsAsync());
        Assert.Null(alert.WebhookSeverity);
        var failure = Assert.Single(alerts.Logs.Entries, entry => entry.Category == typeof(AlertWebhook).FullName && entry.Level == LogLevel.Warning);
        Assert.Equal(alert.Id, failure.Values["AlertId"]);
        Assert.Equal(1, failure.Values["Pending"]);

        // Meanwhile it escalates; the webhook comes back on the same address.
        await data.RecordingAsync(user, "completed", 100);
        await using var receiver = await WebhookReceiver.StartAsync(port);
        var back = await alerts.RunAsync();

        Assert.Equal((1, 0), (back.WebhookDelivered, back.WebhookFailed));
        var body = Assert.Single(receiver.Drain()).Body;
        Assert.Equal(("opened", "critical"), (body.GetProperty("event").GetString(), body.GetProperty("severity").GetString()));
        Assert.Equal("critical", Assert.Single(await data.OpenAlertsAsync()).WebhookSeverity);
        AssertNoSecretLogged(alerts);
    }

    [Fact]
    public async Task A_failing_or_slow_webhook_is_retried_on_the_next_run()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = HttpStatusCode.InternalServerError;
        var user = await data.NewUserAsync(limitBytes: 1000);
        await data.RecordingAsync(user, "completed", 800);
        await using var alerts = Harness(receiver.BaseUrl, new() { ["Alerts:WebhookTimeout"] = "00:00:01" });

        var failed = await alerts.RunAsync();
        Assert.Equal((0, 1), (failed.WebhookDelivered, failed.WebhookFailed));
        Assert.Contains(alerts.Logs.Entries, entry => entry.Level == LogLevel.Warning && entry.Message.Contains("answered 500", StringComparison.Ordinal));

        receiver.Answer = HttpStatusCode.OK;
        receiver.Delay = TimeSpan.FromSeconds(10);
        var slow = await alerts.RunAsync();
        Assert.Equal((0, 1), (slow.WebhookDelivered, slow.WebhookFailed));
        Assert.Contains(alerts.Logs.Entries, entry => entry.Level == LogLevel.Warning && entry.Message.Contains("no answer within 1 seconds", StringComparison.Ordinal));

        receiver.Delay = TimeSpan.Zero;
        var delivered = await alerts.RunAsync();
        Assert.Equal((1, 0), (delivered.WebhookDelivered, delivered.WebhookFailed));
        Assert.All(receiver.Drain(), received => Assert.Equal("opened", received.Body.GetProperty("event").GetString()));
        Assert.Equal("warning", Assert.Single(await data.OpenAlertsAsync()).WebhookSeverity);
        AssertNoSecretLogged(alerts);
    }

    [Fact]
    public async Task Without_a_webhook_nothing_is_owed_so_setting_one_later_does_not_replay_history()
    {
        var user = await data.NewUserAsync(limitBytes: 1000);
        await data.RecordingAsync(user, "completed", 900);
        await using (var logsOnly = Harness(webhookBase: null))
        {
            var run = await logsOnly.RunAsync();
            Assert.Equal((0, 0), (run.WebhookDelivered, run.WebhookFailed));
        }
        Assert.Equal("warning", Assert.Single(await data.OpenAlertsAsync()).WebhookSeverity);

        await using var receiver = await WebhookReceiver.StartAsync();
        await using var alerts = Harness(receiver.BaseUrl);
        Assert.Equal(0, (await alerts.RunAsync()).WebhookDelivered);
        Assert.Empty(receiver.Drain());
    }

    private AlertsHarness Harness(string? webhookBase, Dictionary<string, string?>? settings = null)
    {
        var all = settings ?? [];
        if (webhookBase is not null)
        {
            all["Alerts:WebhookUrl"] = webhookBase.TrimEnd('/') + SecretPath + SecretQuery;
        }
        return new AlertsHarness(database, all, defaultStorageLimitBytes: 1_000_000);
    }

    private static void AssertNoSecretLogged(AlertsHarness alerts)
        => Assert.DoesNotContain(alerts.Logs.Entries, entry =>
            $"{entry.Message} {string.Join(' ', entry.Values.Values)} {entry.Exception}".Contains("T0KEN", StringComparison.Ordinal));
}
