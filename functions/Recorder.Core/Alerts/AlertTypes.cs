namespace Recorder.Core.Alerts;

/// <summary>What an alert is about (<c>alerts.kind</c>); docs/operations.md has a runbook entry for each.</summary>
public static class AlertKinds
{
    /// <summary>A user's storage in use against their limit; subject: the user id.</summary>
    public const string StorageUsage = "storage_usage";

    /// <summary>Failed recordings among the settled ones of a window; subject: <see cref="AlertWindow.Name"/>.</summary>
    public const string RecordingFailures = "recording_failures";

    /// <summary>Interrupted sessions among the ended ones of a window; subject: <see cref="AlertWindow.Name"/>.</summary>
    public const string SessionInterruptions = "session_interruptions";

    /// <summary>The database's size against the disk budget; subject: <see cref="DatabaseSubject"/>.</summary>
    public const string DatabaseSize = "database_size";

    public const string DatabaseSubject = "database";

    /// <summary>Every kind a run evaluates: an open alert of one of these whose condition is gone resolves.</summary>
    public static readonly string[] All = [StorageUsage, RecordingFailures, SessionInterruptions, DatabaseSize];
}

public static class AlertSeverities
{
    public const string Warning = "warning";
    public const string Critical = "critical";

    /// <summary>
    /// The severity <paramref name="percent"/> reaches, with the threshold it starts at; null below the warning threshold.
    /// </summary>
    public static (string Severity, decimal Threshold)? Of(decimal percent, decimal warningPercent, decimal criticalPercent)
        => percent >= criticalPercent ? (Critical, criticalPercent)
            : percent >= warningPercent ? (Warning, warningPercent)
            : null;
}

/// <summary>A span of recent time the failure checks look back over.</summary>
public sealed record AlertWindow(string Name, int Hours)
{
    public static readonly AlertWindow LastHour = new("last_hour", 1);
    public static readonly AlertWindow LastDay = new("last_day", 24);
    public static readonly AlertWindow[] All = [LastHour, LastDay];
}

/// <summary>A condition that holds now. <see cref="Value"/> and <see cref="Threshold"/> are percentages.</summary>
public sealed record AlertCondition(
    string Kind, string Subject, string Severity, decimal Value, decimal Threshold, IReadOnlyDictionary<string, object?> Details);

/// <summary>How an alert changed in a run (also the webhook's <c>event</c>).</summary>
public static class AlertChanges
{
    public const string Opened = "opened";
    public const string Escalated = "escalated";
    public const string Deescalated = "deescalated";
    public const string Resolved = "resolved";
}

/// <summary>An alert that opened, changed severity or resolved in a run.</summary>
public sealed record AlertTransition(
    long AlertId, string Change, string Kind, string Subject, string Severity, decimal Value, decimal Threshold);

/// <summary>What one AlertsCheck run did; <see cref="Skipped"/> when another instance was running.</summary>
public sealed record AlertsCheckResult(
    bool Skipped, int Open, IReadOnlyList<AlertTransition> Transitions, int WebhookDelivered, int WebhookFailed)
{
    public static readonly AlertsCheckResult SkippedRun = new(true, 0, [], 0, 0);
}
