using System.Globalization;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Alerts;
using Recorder.Core.Recordings;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Alerts;

/// <summary>
/// The AlertsCheck run against the migrated schema as recorder_maintenance. Alerts are about the
/// whole database, so each test has a database of its own.
/// </summary>
public sealed class AlertsCheckTests : IAsyncLifetime
{
    private const long DefaultLimit = 1_000_000;

    private readonly MigratedDatabase database = new();
    private AlertsTestData data = null!;

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        data = new AlertsTestData(database);
    }

    public Task DisposeAsync() => database.DisposeAsync();

    [Fact]
    public async Task Storage_alerts_start_at_exactly_80_and_100_percent_of_the_limit_the_quota_check_uses()
    {
        var below = await data.NewUserAsync("below", limitBytes: 1000);
        var atWarning = await data.NewUserAsync("warn", limitBytes: 1000);
        var nearlyFull = await data.NewUserAsync("nearly", limitBytes: 1000);
        var full = await data.NewUserAsync("full", limitBytes: 1000);
        var onDefault = await data.NewUserAsync("default");
        await data.RecordingAsync(below, "completed", 799);          // 79.9 %
        await data.RecordingAsync(atWarning, "completed", 500);      // 80 %: completed + pending upload + processing
        await data.RecordingAsync(atWarning, "uploading", 200);
        await data.RecordingAsync(atWarning, "processing", 100);
        await data.RecordingAsync(nearlyFull, "completed", 999);     // 99.9 %
        await data.RecordingAsync(full, "completed", 1000);          // 100 %
        await data.RecordingAsync(onDefault, "completed", 850_000);  // 85 % of the default limit
        // Failed and deleting recordings hold no quota, however large.
        await data.RecordingAsync(below, "failed", 5000);
        await data.RecordingAsync(below, "deleting", 5000);

        await using var alerts = Harness();
        var result = await alerts.RunAsync();

        var open = (await data.OpenAlertsAsync(AlertKinds.StorageUsage)).ToDictionary(alert => alert.Subject);
        Assert.Equal(new[] { atWarning, full, nearlyFull, onDefault }.Order(StringComparer.Ordinal), open.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(("warning", 80m, 80m), (open[atWarning].Severity, open[atWarning].Value, open[atWarning].Threshold));
        Assert.Equal(("warning", 99.9m, 80m), (open[nearlyFull].Severity, open[nearlyFull].Value, open[nearlyFull].Threshold));
        Assert.Equal(("critical", 100m, 100m), (open[full].Severity, open[full].Value, open[full].Threshold));
        Assert.Equal(("warning", 85m), (open[onDefault].Severity, open[onDefault].Value));
        Assert.Equal("default", open[onDefault].DetailsJson.GetProperty("limitSource").GetString());
        Assert.Equal("user_storage_limits", open[full].DetailsJson.GetProperty("limitSource").GetString());
        Assert.Equal(4, result.Open);
        Assert.All(result.Transitions, transition => Assert.Equal(AlertChanges.Opened, transition.Change));

        // The figures are the quota check's own, user by user.
        var quota = new StorageQuota(Options.Create(new RecordingsOptions { DefaultStorageLimitBytes = DefaultLimit }));
        await using var connection = new NpgsqlConnection(database.MaintenanceConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        foreach (var alert in open.Values)
        {
            var (used, limit) = await quota.UsageAsync(connection, transaction, alert.Subject, CancellationToken.None);
            Assert.Equal((used, limit), (alert.DetailsJson.GetProperty("usedBytes").GetInt64(), alert.DetailsJson.GetProperty("limitBytes").GetInt64()));
        }
    }

    [Fact]
    public async Task Two_runs_keep_one_open_alert_and_log_it_once()
    {
        var user = await data.NewUserAsync(limitBytes: 1000);
        await data.RecordingAsync(user, "completed", 900);
        await using var alerts = Harness();

        var first = await alerts.RunAsync();
        var opened = Assert.Single(await data.OpenAlertsAsync());
        var second = await alerts.RunAsync();

        var still = Assert.Single(await data.AlertsAsync());
        Assert.Equal((opened.Id, opened.FirstSeen), (still.Id, still.FirstSeen));
        Assert.True(still.LastSeen > opened.LastSeen);
        Assert.Equal([AlertChanges.Opened], first.Transitions.Select(transition => transition.Change));
        Assert.Empty(second.Transitions);
        Assert.Single(AlertWarnings(alerts));
    }

    [Fact]
    public async Task A_storage_alert_escalates_to_critical_and_back_then_resolves_when_usage_drops()
    {
        var user = await data.NewUserAsync(limitBytes: 1000);
        await data.RecordingAsync(user, "completed", 850);
        await using var alerts = Harness();
        await alerts.RunAsync();
        var warning = Assert.Single(await data.OpenAlertsAsync());

        var extra = await data.RecordingAsync(user, "uploading", 200);
        var escalation = await alerts.RunAsync();

        var critical = Assert.Single(await data.AlertsAsync());
        Assert.Equal((warning.Id, "critical", 105m, 100m), (critical.Id, critical.Severity, critical.Value, critical.Threshold));
        var escalated = Assert.Single(escalation.Transitions);
        Assert.Equal((AlertChanges.Escalated, warning.Id), (escalated.Change, escalated.AlertId));
        var log = AlertWarnings(alerts).Last();
        Assert.Equal(LogLevel.Warning, log.Level);
        Assert.Equal(
            (AlertKinds.StorageUsage, AlertChanges.Escalated, user, "critical", 105m, 100m),
            (log.Values["AlertKind"], log.Values["AlertChange"], log.Values["AlertSubject"], log.Values["AlertSeverity"], log.Values["AlertValue"], log.Values["AlertThreshold"]));
        Assert.Contains("{AlertKind}", (string)log.Values["{OriginalFormat}"]!);

        await using (var connection = await data.OpenMaintenanceAsync())
        {
            await connection.ExecuteAsync("UPDATE recordings SET status = 'failed', failure_code = 'corrupt_media' WHERE id = @extra", new { extra });
        }
        Assert.Equal([AlertChanges.Deescalated], (await alerts.RunAsync()).Transitions.Select(transition => transition.Change));
        Assert.Equal("warning", Assert.Single(await data.OpenAlertsAsync()).Severity);

        await using (var connection = await data.OpenMaintenanceAsync())
        {
            await connection.ExecuteAsync("UPDATE recordings SET status = 'deleting' WHERE user_id = @user", new { user });
        }
        var resolution = await alerts.RunAsync();

        Assert.Equal([AlertChanges.Resolved], resolution.Transitions.Select(transition => transition.Change));
        Assert.Empty(await data.OpenAlertsAsync());
        var resolved = Assert.Single(await data.AlertsAsync());
        Assert.NotNull(resolved.ResolvedAt);
        Assert.Contains(alerts.Logs.Entries, entry => entry.Level == LogLevel.Information && Equals(entry.Values.GetValueOrDefault("AlertSubject"), user)
            && entry.Message.Contains("resolved", StringComparison.Ordinal));

        // The condition coming back is a new episode: a new row, the old one stays resolved.
        await data.RecordingAsync(user, "completed", 950);
        Assert.Equal([AlertChanges.Opened], (await alerts.RunAsync()).Transitions.Select(transition => transition.Change));
        var history = await data.AlertsAsync();
        Assert.Equal(2, history.Count);
        Assert.NotNull(history[0].ResolvedAt);
        Assert.Null(history[1].ResolvedAt);
    }

    [Fact]
    public async Task Failure_rates_need_the_minimum_sample_of_settled_recordings()
    {
        var user = await data.NewUserAsync();
        await data.RecordingsAsync(user, "completed", 10);
        await data.RecordingsAsync(user, "failed", 9);
        await data.RecordingsAsync(user, "uploading", 30);                               // no outcome yet: not in the sample
        await data.RecordingsAsync(user, "failed", 50, age: TimeSpan.FromDays(2));      // outside both windows
        await using var alerts = Harness(new() { ["Alerts:FailureMinimumSample"] = "20" });

        await alerts.RunAsync();
        Assert.Empty(await data.OpenAlertsAsync(AlertKinds.RecordingFailures));

        await data.RecordingsAsync(user, "failed", 1);
        await alerts.RunAsync();

        var open = (await data.OpenAlertsAsync(AlertKinds.RecordingFailures)).ToDictionary(alert => alert.Subject);
        Assert.Equal(["last_day", "last_hour"], open.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(("critical", 50m, 25m), (open["last_hour"].Severity, open["last_hour"].Value, open["last_hour"].Threshold));
        Assert.Equal(10, open["last_hour"].DetailsJson.GetProperty("failed").GetInt32());
        Assert.Equal(20, open["last_hour"].DetailsJson.GetProperty("settled").GetInt32());
        Assert.Equal(10, open["last_hour"].DetailsJson.GetProperty("failureCodes").GetProperty("corrupt_media").GetInt32());
    }

    [Fact]
    public async Task Recording_failures_of_a_day_alert_without_the_last_hour()
    {
        var user = await data.NewUserAsync();
        await data.RecordingsAsync(user, "completed", 17, age: TimeSpan.FromHours(3));
        await data.RecordingsAsync(user, "failed", 3, age: TimeSpan.FromHours(3));
        await data.RecordingsAsync(user, "completed", 5);                              // the hour: too few to judge
        await using var alerts = Harness(new() { ["Alerts:FailureMinimumSample"] = "20" });

        await alerts.RunAsync();

        var alert = Assert.Single(await data.OpenAlertsAsync(AlertKinds.RecordingFailures));
        Assert.Equal(("last_day", "warning"), (alert.Subject, alert.Severity));
        Assert.Equal(12m, alert.Value); // 3 of 25 settled
    }

    [Fact]
    public async Task Interrupted_sessions_alert_at_the_threshold_and_active_ones_are_not_counted()
    {
        var user = await data.NewUserAsync();
        await data.SessionsAsync(user, "completed", 15);
        await data.SessionsAsync(user, "interrupted", 5);    // 25 %: the warning threshold
        await data.SessionsAsync(user, "active", 40);
        await using var alerts = Harness(new() { ["Alerts:FailureMinimumSample"] = "20" });

        await alerts.RunAsync();

        var open = (await data.OpenAlertsAsync(AlertKinds.SessionInterruptions)).ToDictionary(alert => alert.Subject);
        Assert.Equal(["last_day", "last_hour"], open.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(("warning", 25m, 25m), (open["last_hour"].Severity, open["last_hour"].Value, open["last_hour"].Threshold));
        Assert.Equal(5, open["last_hour"].DetailsJson.GetProperty("errorCodes").GetProperty("heartbeat_timeout").GetInt32());

        await data.SessionsAsync(user, "completed", 1);     // 5 of 21: below 25 %
        await alerts.RunAsync();
        Assert.Empty(await data.OpenAlertsAsync(AlertKinds.SessionInterruptions));
    }

    [Fact]
    public async Task Database_size_is_checked_against_the_budget_only_when_one_is_set()
    {
        long size;
        await using (var connection = await data.OpenOwnerAsync())
        {
            size = await connection.ExecuteScalarAsync<long>("SELECT pg_database_size(current_database())");
        }
        await using (var off = Harness())
        {
            await off.RunAsync();
        }
        Assert.Empty(await data.OpenAlertsAsync(AlertKinds.DatabaseSize));

        // Budgets that put the database at about 50 %, 90 % and 97 %: a few pages written meanwhile change nothing.
        await using (var roomy = Harness(Budget(size * 2)))
        {
            await roomy.RunAsync();
        }
        Assert.Empty(await data.OpenAlertsAsync(AlertKinds.DatabaseSize));

        await using (var tight = Harness(Budget(size * 100 / 90)))
        {
            await tight.RunAsync();
        }
        var warning = Assert.Single(await data.OpenAlertsAsync(AlertKinds.DatabaseSize));
        Assert.Equal(("database", "warning", 85m), (warning.Subject, warning.Severity, warning.Threshold));
        Assert.InRange(warning.Value, 85m, 95m);

        await using (var full = Harness(Budget(size * 100 / 97)))
        {
            await full.RunAsync();
        }
        var critical = Assert.Single(await data.OpenAlertsAsync(AlertKinds.DatabaseSize));
        Assert.Equal((warning.Id, "critical", 95m), (critical.Id, critical.Severity, critical.Threshold));

        // Turning the check off resolves what it had opened.
        await using (var off = Harness())
        {
            await off.RunAsync();
        }
        Assert.Empty(await data.OpenAlertsAsync(AlertKinds.DatabaseSize));

        static Dictionary<string, string?> Budget(long bytes) => new() { ["Alerts:DatabaseSizeBudgetBytes"] = bytes.ToString(CultureInfo.InvariantCulture) };
    }

    [Fact]
    public async Task Skips_the_run_while_another_instance_holds_the_lock()
    {
        var user = await data.NewUserAsync(limitBytes: 1000);
        await data.RecordingAsync(user, "completed", 900);
        await using var alerts = Harness();

        await using (var holder = new NpgsqlConnection(database.MaintenanceConnectionString))
        {
            await holder.OpenAsync();
            Assert.True(await holder.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_lock(@LockKey)", new { AlertsCheckService.LockKey }));
            Assert.True((await alerts.RunAsync()).Skipped);
            Assert.Empty(await data.AlertsAsync());
            await holder.ExecuteAsync("SELECT pg_advisory_unlock(@LockKey)", new { AlertsCheckService.LockKey });
        }

        Assert.Single((await alerts.RunAsync()).Transitions);
    }

    private AlertsHarness Harness(Dictionary<string, string?>? settings = null) => new(database, settings ?? [], DefaultLimit);

    private static List<CapturedLog> AlertWarnings(AlertsHarness alerts)
        => alerts.Logs.Entries.Where(entry => entry.Level == LogLevel.Warning && entry.Values.ContainsKey("AlertKind")).ToList();
}
