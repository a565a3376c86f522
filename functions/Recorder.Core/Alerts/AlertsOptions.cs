using Microsoft.Extensions.Options;

namespace Recorder.Core.Alerts;

/// <summary>Thresholds, the disk budget and the webhook of the AlertsCheck timer (section "Alerts"). Percentages are 0–100.</summary>
public sealed class AlertsOptions
{
    public const string SectionName = "Alerts";

    /// <summary>A user's storage in use at or above this share of their limit is a warning …</summary>
    public decimal StorageWarningPercent { get; set; } = 80;

    /// <summary>… and at or above this share, critical.</summary>
    public decimal StorageCriticalPercent { get; set; } = 100;

    /// <summary>Failed recordings, as a share of the settled (completed or failed) recordings created in the last hour / day.</summary>
    public decimal RecordingFailureWarningPercent { get; set; } = 10;

    public decimal RecordingFailureCriticalPercent { get; set; } = 25;

    /// <summary>Interrupted sessions, as a share of the ended (completed or interrupted) sessions started in the last hour / day.</summary>
    public decimal SessionInterruptionWarningPercent { get; set; } = 25;

    public decimal SessionInterruptionCriticalPercent { get; set; } = 50;

    /// <summary>Fewer settled recordings (or ended sessions) than this in a window raise no failure alert there.</summary>
    public int FailureMinimumSample { get; set; } = 20;

    /// <summary>Disk the database may fill, in bytes; unset (or 0) turns the database size check off.</summary>
    public long? DatabaseSizeBudgetBytes { get; set; }

    public decimal DatabaseSizeWarningPercent { get; set; } = 85;

    public decimal DatabaseSizeCriticalPercent { get; set; } = 95;

    /// <summary>
    /// Where opened, changed and resolved alerts are POSTed as JSON; unset: logs only. May carry a secret
    /// token: never logged. A string, not a Uri, so a malformed value is never echoed by the binder.
    /// </summary>
    public string? WebhookUrl { get; set; }

    /// <summary>The webhook, when one is set.</summary>
    public Uri? Webhook => string.IsNullOrWhiteSpace(WebhookUrl) ? null : new Uri(WebhookUrl, UriKind.Absolute);

    /// <summary>The database size check is on.</summary>
    public bool ChecksDatabaseSize => DatabaseSizeBudgetBytes > 0;

    /// <summary>How long one webhook POST may take.</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deliveries per run; what is left waits for the next run.</summary>
    public int WebhookMaxDeliveries { get; set; } = 50;
}

/// <summary>Refuses start-up with settings the alerts check cannot work with (never echoing the webhook URL).</summary>
internal sealed class AlertsOptionsValidator : IValidateOptions<AlertsOptions>
{
    public ValidateOptionsResult Validate(string? name, AlertsOptions options)
    {
        var failures = new List<string>();
        CheckPair(failures, "Storage", options.StorageWarningPercent, options.StorageCriticalPercent, maxCritical: 1000);
        CheckPair(failures, "RecordingFailure", options.RecordingFailureWarningPercent, options.RecordingFailureCriticalPercent,
            maxCritical: 100);
        CheckPair(failures, "SessionInterruption", options.SessionInterruptionWarningPercent, options.SessionInterruptionCriticalPercent,
            maxCritical: 100);
        CheckPair(failures, "DatabaseSize", options.DatabaseSizeWarningPercent, options.DatabaseSizeCriticalPercent, maxCritical: 100);
        if (options.FailureMinimumSample < 1)
        {
            failures.Add("Alerts:FailureMinimumSample must be at least 1.");
        }
        if (options.DatabaseSizeBudgetBytes < 0)
        {
            failures.Add("Alerts:DatabaseSizeBudgetBytes must not be negative (unset or 0 turns the check off).");
        }
        if (!string.IsNullOrWhiteSpace(options.WebhookUrl)
            && !(Uri.TryCreate(options.WebhookUrl, UriKind.Absolute, out var url) && url.Scheme is ("https" or "http")))
        {
            failures.Add("Alerts:WebhookUrl must be an absolute http(s) URL.");
        }
        if (options.WebhookTimeout <= TimeSpan.Zero || options.WebhookTimeout > TimeSpan.FromMinutes(2))
        {
            failures.Add("Alerts:WebhookTimeout must be positive and at most two minutes.");
        }
        if (options.WebhookMaxDeliveries < 1)
        {
            failures.Add("Alerts:WebhookMaxDeliveries must be at least 1.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckPair(List<string> failures, string prefix, decimal warning, decimal critical, decimal maxCritical)
    {
        if (warning <= 0 || warning > critical || critical > maxCritical)
        {
            failures.Add(
                $"Alerts:{prefix}WarningPercent and Alerts:{prefix}CriticalPercent must satisfy 0 < warning <= critical <= {maxCritical}.");
        }
    }
}
