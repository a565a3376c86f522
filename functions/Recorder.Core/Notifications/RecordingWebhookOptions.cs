using System.Text;
using Microsoft.Extensions.Options;

namespace Recorder.Core.Notifications;

/// <summary>The recording-events webhook (section "Webhooks"; docs/notifications.md). Off while no URL is set.</summary>
public sealed class RecordingWebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>
    /// Where recording events are POSTed. May carry a token of the receiver's: never logged. A string, not a Uri, so a
    /// malformed value is never echoed by the binder.
    /// </summary>
    public string? Url { get; set; }

    /// <summary>The HMAC-SHA256 key of <c>Recorder-Signature</c> (Key Vault in Azure); at least 32 bytes when a URL is set.</summary>
    public string? Secret { get; set; }

    /// <summary>How long one POST may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Events claimed per transaction; a run goes on while events are due, up to <see cref="MaxEventsPerRun"/>.</summary>
    public int BatchSize { get; set; } = 50;

    public int MaxEventsPerRun { get; set; } = 1000;

    /// <summary>The wait after a first failed attempt; it doubles with each further one, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>An event not delivered this long after it happened is given up (kept, marked abandoned, logged as an error).</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Age at which the delivery timer prunes delivered and abandoned events; longer than <see cref="GiveUpAfter"/>.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The webhook, when one is set.</summary>
    public Uri? Webhook => string.IsNullOrWhiteSpace(Url) ? null : new Uri(Url, UriKind.Absolute);
}

/// <summary>Refuses start-up with webhook settings the delivery cannot work with, never echoing the URL or the secret.</summary>
internal sealed class RecordingWebhookOptionsValidator : IValidateOptions<RecordingWebhookOptions>
{
    public const int MinimumSecretBytes = 32;

    public ValidateOptionsResult Validate(string? name, RecordingWebhookOptions options)
    {
        var failures = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.Url))
        {
            if (!(Uri.TryCreate(options.Url, UriKind.Absolute, out var url) && url.Scheme is "https" or "http"))
            {
                failures.Add("Webhooks:Url must be an absolute http(s) URL.");
            }
            if (Encoding.UTF8.GetByteCount(options.Secret ?? "") < MinimumSecretBytes)
            {
                failures.Add($"Webhooks:Secret must hold at least {MinimumSecretBytes} bytes when Webhooks:Url is set.");
            }
        }
        if (options.Timeout <= TimeSpan.Zero || options.Timeout > TimeSpan.FromMinutes(2))
        {
            failures.Add("Webhooks:Timeout must be positive and at most two minutes.");
        }
        if (options.BatchSize < 1 || options.MaxEventsPerRun < options.BatchSize)
        {
            failures.Add("Webhooks:BatchSize must be at least 1 and Webhooks:MaxEventsPerRun at least the batch size.");
        }
        if (options.FirstRetryDelay <= TimeSpan.Zero || options.MaxRetryDelay < options.FirstRetryDelay)
        {
            failures.Add("Webhooks:FirstRetryDelay must be positive and Webhooks:MaxRetryDelay at least as long.");
        }
        if (options.GiveUpAfter <= TimeSpan.Zero || options.Retention <= options.GiveUpAfter)
        {
            // Retention counts from the event too: an abandoned event stays visible for the difference.
            failures.Add("Webhooks:GiveUpAfter must be positive and Webhooks:Retention longer.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
