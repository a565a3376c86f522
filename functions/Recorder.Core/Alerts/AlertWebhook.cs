using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Recorder.Core.Alerts;

/// <summary>What the webhook owed and managed to deliver in a run.</summary>
public sealed record WebhookDeliveryResult(int Delivered, int Failed);

/// <summary>
/// Tells the configured webhook what changed. Each alert row remembers what the webhook was last told, so a later run
/// delivers what this one could not, and a failing webhook never fails the run. The URL may carry a secret: never log it.
/// </summary>
public sealed class AlertWebhook(IHttpClientFactory httpClients, IOptions<AlertsOptions> options, ILogger<AlertWebhook> logger)
{
    public const string HttpClientName = "alerts-webhook";

    private static readonly JsonSerializerOptions PayloadJson = new(JsonSerializerDefaults.Web);

    // The predicate of idx_alerts_webhook_pending (014).
    private const string PendingPredicate =
        "(resolved_at IS NULL AND webhook_severity IS DISTINCT FROM severity) OR (resolved_at IS NOT NULL AND NOT webhook_resolved)";

    private const string SelectPendingSql = $"""
        SELECT id AS Id, kind AS Kind, subject AS Subject, severity AS Severity, value AS Value, threshold AS Threshold,
               details::text AS Details, first_seen AS FirstSeen, last_seen AS LastSeen, resolved_at AS ResolvedAt,
               webhook_severity AS WebhookSeverity
        FROM alerts
        WHERE {PendingPredicate}
        ORDER BY id
        LIMIT @Limit
        """;

    private const string CountPendingSql = $"SELECT count(*)::int FROM alerts WHERE {PendingPredicate}";

    private const string MarkDeliveredSql = "UPDATE alerts SET webhook_severity = @Severity, webhook_resolved = @Resolved WHERE id = @Id";

    // Without a webhook the log is the notification: nothing is owed, so setting one later does not
    // replay history.
    private const string MarkAllDeliveredSql = $"""
        UPDATE alerts SET webhook_severity = severity, webhook_resolved = resolved_at IS NOT NULL
        WHERE {PendingPredicate}
        """;

    public async Task<WebhookDeliveryResult> DeliverPendingAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (settings.Webhook is not { } webhook)
        {
            await connection.ExecuteAsync(new CommandDefinition(MarkAllDeliveredSql, cancellationToken: cancellationToken));
            return new WebhookDeliveryResult(0, 0);
        }

        var pending = (await connection.QueryAsync<PendingAlert>(new CommandDefinition(
            SelectPendingSql, new { Limit = settings.WebhookMaxDeliveries }, cancellationToken: cancellationToken))).AsList();
        var client = httpClients.CreateClient(HttpClientName);
        var delivered = 0;
        foreach (var alert in pending)
        {
            var change = alert.ResolvedAt is not null ? AlertChanges.Resolved
                : alert.WebhookSeverity is null ? AlertChanges.Opened
                : alert.Severity == AlertSeverities.Critical ? AlertChanges.Escalated
                : AlertChanges.Deescalated;
            if (await TryPostAsync(client, webhook, Payload(change, alert), alert, cancellationToken) is { } failure)
            {
                var left = await connection.ExecuteScalarAsync<int>(
                    new CommandDefinition(CountPendingSql, cancellationToken: cancellationToken));
                logger.LogWarning(
                    "Alert webhook delivery of alert {AlertId} ({AlertChange}) failed: {Failure}; " +
                    "{Pending} deliveries wait for the next run",
                    alert.Id, change, failure, left);
                return new WebhookDeliveryResult(delivered, 1);
            }
            await connection.ExecuteAsync(new CommandDefinition(MarkDeliveredSql,
                new { alert.Id, alert.Severity, Resolved = alert.ResolvedAt is not null }, cancellationToken: cancellationToken));
            delivered++;
        }
        if (pending.Count == settings.WebhookMaxDeliveries)
        {
            logger.LogWarning("Alert webhook delivered {Delivered} alerts, the most one run may; the rest wait for the next run",
                delivered);
        }
        return new WebhookDeliveryResult(delivered, 0);
    }

    /// <summary>Null when the webhook took it (2xx); else why not, in words that hold no part of the URL.</summary>
    private static async Task<string?> TryPostAsync(
        HttpClient client, Uri webhook, object payload, PendingAlert alert, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await client.PostAsJsonAsync(webhook, payload, PayloadJson, cancellationToken);
            return response.IsSuccessStatusCode
                ? null
                : string.Create(CultureInfo.InvariantCulture, $"it answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        catch (HttpRequestException exception)
        {
            // Not the exception's message: only the kind of error, which never quotes the request.
            return $"{exception.HttpRequestError} ({exception.InnerException?.GetType().Name ?? exception.GetType().Name})";
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return string.Create(CultureInfo.InvariantCulture, $"no answer within {client.Timeout.TotalSeconds:0.#} seconds");
        }
    }

    private static object Payload(string change, PendingAlert alert) => new
    {
        @event = change,
        alertId = alert.Id,
        alert.Kind,
        alert.Subject,
        alert.Severity,
        alert.Value,
        alert.Threshold,
        unit = "percent",
        details = JsonSerializer.Deserialize<JsonElement>(alert.Details),
        alert.FirstSeen,
        alert.LastSeen,
        alert.ResolvedAt,
        // One line for chat webhooks (Slack, Teams) that show a "text" field.
        text = change == AlertChanges.Resolved
            ? string.Create(CultureInfo.InvariantCulture,
                $"[recorder] resolved: {alert.Kind} {alert.Subject} (was {alert.Severity} at {alert.Value} %)")
            : string.Create(CultureInfo.InvariantCulture,
                $"[recorder] {alert.Severity} ({change}): {alert.Kind} {alert.Subject} at {alert.Value} % (threshold {alert.Threshold} %)"),
    };

    private sealed record PendingAlert(
        long Id, string Kind, string Subject, string Severity, decimal Value, decimal Threshold, string Details,
        DateTime FirstSeen, DateTime LastSeen, DateTime? ResolvedAt, string? WebhookSeverity);
}
