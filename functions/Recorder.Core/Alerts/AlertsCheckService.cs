using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using Recorder.Core.Data;

namespace Recorder.Core.Alerts;

/// <summary>
/// One AlertsCheck run, as recorder_maintenance: measure (<see cref="AlertConditions"/>), record in
/// <c>alerts</c> (one open row per kind and subject: opened, updated while it holds, resolved when it
/// clears), log every change as a structured warning, then tell the webhook (<see cref="AlertWebhook"/>).
/// </summary>
public sealed class AlertsCheckService(
    RecorderDataSources dataSources,
    AlertConditions conditions,
    AlertWebhook webhook,
    ILogger<AlertsCheckService> logger)
{
    /// <summary>The session advisory lock one run holds ("rec.alrt" in ASCII); visible in pg_locks.</summary>
    public const long LockKey = 0x7265632E616C7274;

    private static readonly JsonSerializerOptions DetailsJson = new(JsonSerializerDefaults.Web);

    // One statement, so the run's view of open alerts and its changes are one snapshot and one commit.
    // `previous` (the open alerts before the run) tells opened from escalated; conditions that hold
    // update their open row through the partial unique index idx_alerts_open; open alerts of the
    // evaluated kinds whose condition is gone resolve. Unchanged alerts only refresh last_seen and value.
    private const string RecordSql = """
        WITH current AS (
          SELECT * FROM unnest(@Kinds::text[], @Subjects::text[], @Severities::text[], @Values::numeric[], @Thresholds::numeric[],
                               @Details::jsonb[])
            AS c(kind, subject, severity, value, threshold, details)
        ), previous AS (
          SELECT id, kind, subject, severity FROM alerts WHERE resolved_at IS NULL AND kind = ANY(@EvaluatedKinds)
        ), upserted AS (
          INSERT INTO alerts AS a (kind, subject, severity, value, threshold, details)
          SELECT kind, subject, severity, value, threshold, details FROM current
          ON CONFLICT (kind, subject) WHERE resolved_at IS NULL DO UPDATE
            SET severity = EXCLUDED.severity, value = EXCLUDED.value, threshold = EXCLUDED.threshold,
                details = EXCLUDED.details, last_seen = now()
          RETURNING a.id, a.kind, a.subject, a.severity, a.value, a.threshold
        ), resolved AS (
          UPDATE alerts AS a SET resolved_at = now(), last_seen = now()
          FROM previous AS p
          WHERE a.id = p.id AND NOT EXISTS (SELECT 1 FROM current AS c WHERE c.kind = p.kind AND c.subject = p.subject)
          RETURNING a.id, a.kind, a.subject, a.severity, a.value, a.threshold
        ), changes AS (
          SELECT u.id, CASE WHEN p.id IS NULL THEN 'opened'
                            WHEN p.severity = u.severity THEN NULL
                            WHEN u.severity = 'critical' THEN 'escalated'
                            ELSE 'deescalated' END AS change,
                 u.kind, u.subject, u.severity, u.value, u.threshold
          FROM upserted AS u LEFT JOIN previous AS p ON p.id = u.id
          UNION ALL
          SELECT id, 'resolved', kind, subject, severity, value, threshold FROM resolved
        )
        SELECT id AS AlertId, change AS Change, kind AS Kind, subject AS Subject, severity AS Severity, value AS Value,
               threshold AS Threshold
        FROM changes WHERE change IS NOT NULL
        ORDER BY id
        """;

    private const string CountOpenSql = "SELECT count(*)::int FROM alerts WHERE resolved_at IS NULL";

    /// <summary>
    /// One run. Skipped when another instance holds the lock; the lock lives on a connection of its
    /// own, so it is released when the run ends or dies.
    /// </summary>
    public async Task<AlertsCheckResult> RunAsync(CancellationToken cancellationToken)
    {
        await using var runLock = await RunLock.TryTakeAsync(dataSources.Maintenance, LockKey, cancellationToken);
        if (runLock is null)
        {
            logger.LogInformation("Alerts check skipped: another instance is running it");
            return AlertsCheckResult.SkippedRun;
        }
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        var holding = await conditions.MeasureAsync(connection, cancellationToken);
        var transitions = await RecordAsync(connection, holding, cancellationToken);
        foreach (var transition in transitions)
        {
            Log(transition);
        }
        var open = await connection.ExecuteScalarAsync<int>(new CommandDefinition(CountOpenSql, cancellationToken: cancellationToken));
        var delivery = await webhook.DeliverPendingAsync(connection, cancellationToken);
        return new AlertsCheckResult(false, open, transitions, delivery.Delivered, delivery.Failed);
    }

    private static async Task<List<AlertTransition>> RecordAsync(
        NpgsqlConnection connection, List<AlertCondition> holding, CancellationToken cancellationToken)
        => (await connection.QueryAsync<AlertTransition>(new CommandDefinition(RecordSql, new
        {
            Kinds = holding.Select(condition => condition.Kind).ToArray(),
            Subjects = holding.Select(condition => condition.Subject).ToArray(),
            Severities = holding.Select(condition => condition.Severity).ToArray(),
            Values = holding.Select(condition => condition.Value).ToArray(),
            Thresholds = holding.Select(condition => condition.Threshold).ToArray(),
            Details = holding.Select(condition => JsonSerializer.Serialize(condition.Details, DetailsJson)).ToArray(),
            EvaluatedKinds = AlertKinds.All,
        }, cancellationToken: cancellationToken))).AsList();

    private void Log(AlertTransition transition)
    {
        if (transition.Change == AlertChanges.Resolved)
        {
            logger.LogInformation(
                "Alert {AlertKind} resolved for {AlertSubject} (alert {AlertId}; was {AlertSeverity} at {AlertValue} %, " +
                "threshold {AlertThreshold} %)",
                transition.Kind, transition.Subject, transition.AlertId, transition.Severity, transition.Value, transition.Threshold);
        }
        else
        {
            logger.LogWarning(
                "Alert {AlertKind} {AlertChange} for {AlertSubject}: " +
                "{AlertSeverity} at {AlertValue} % (threshold {AlertThreshold} %, alert {AlertId})",
                transition.Kind, transition.Change, transition.Subject, transition.Severity, transition.Value, transition.Threshold,
                transition.AlertId);
        }
    }
}
