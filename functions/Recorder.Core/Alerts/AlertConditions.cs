using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Recordings;

namespace Recorder.Core.Alerts;

/// <summary>
/// Measures what the alerts are about, as recorder_maintenance (across users), and returns the
/// conditions that reach a threshold now. Values are percentages, compared exactly (decimal/numeric).
/// </summary>
public sealed class AlertConditions(IOptions<AlertsOptions> options, IOptions<RecordingsOptions> recordingsOptions)
{
    /// <summary>
    /// Storage in use and limits exactly as the quota check counts them (StorageQuota): each user's row of
    /// user_storage_usage, which migration 034's triggers keep equal to the sum over their recordings, joined to the users
    /// with a limit row. A row a user, not a pass over every recording (14 s at 10 M recordings: bench/notes/mixed-load.md).
    /// Only users at or above the warning share come back. A zero limit counts any byte as over it.
    /// </summary>
    public const string StorageSql = $"""
        SELECT usage.user_id AS UserId, usage.recordings AS Recordings, usage.used_bytes AS UsedBytes,
               {StorageQuota.LimitBytesSql} AS LimitBytes, l.user_id IS NOT NULL AS OwnLimit
        FROM user_storage_usage AS usage
        LEFT JOIN user_storage_limits AS l ON l.user_id = usage.user_id
        WHERE usage.used_bytes::numeric * 100 >= {StorageQuota.LimitBytesSql} * @WarningPercent
        """;

    /// <summary>
    /// Settled recordings (completed or failed) created in each window: uploads still running have no
    /// outcome yet, and 'deleting' ones are being removed. idx_recordings_created_status (014) serves the
    /// counts index-only; only failed rows are read for their codes.
    /// </summary>
    public const string RecordingFailuresSql = """
        SELECT w.name AS Window,
               count(r.status) FILTER (WHERE r.status = 'failed')::int AS Failed,
               count(r.status)::int AS Settled,
               (SELECT coalesce(jsonb_object_agg(code, n), '{}'::jsonb)::text FROM (
                  SELECT coalesce(failure_code, 'unknown') AS code, count(*) AS n FROM recordings
                  WHERE created_at >= now() - make_interval(hours => w.hours) AND status = 'failed'
                  GROUP BY 1) AS codes) AS Codes
        FROM unnest(@Names::text[], @Hours::int[]) AS w(name, hours)
        LEFT JOIN recordings AS r
          ON r.created_at >= now() - make_interval(hours => w.hours) AND r.status IN ('completed', 'failed')
        GROUP BY w.name, w.hours
        """;

    // Ended sessions (completed or interrupted) started in each window; active ones have no outcome yet.
    // The window is on the partition key, so only the newest weekly partitions are read.
    private const string SessionInterruptionsSql = """
        SELECT w.name AS Window,
               count(s.status) FILTER (WHERE s.status = 'interrupted')::int AS Failed,
               count(s.status)::int AS Settled,
               (SELECT coalesce(jsonb_object_agg(code, n), '{}'::jsonb)::text FROM (
                  SELECT coalesce(error_code, 'unknown') AS code, count(*) AS n FROM recording_sessions
                  WHERE started_at >= now() - make_interval(hours => w.hours) AND status = 'interrupted'
                  GROUP BY 1) AS codes) AS Codes
        FROM unnest(@Names::text[], @Hours::int[]) AS w(name, hours)
        LEFT JOIN recording_sessions AS s
          ON s.started_at >= now() - make_interval(hours => w.hours) AND s.status IN ('completed', 'interrupted')
        GROUP BY w.name, w.hours
        """;

    private const string DatabaseSizeSql = "SELECT pg_database_size(current_database())";

    /// <summary>Every condition that holds now, over all alert kinds.</summary>
    public async Task<List<AlertCondition>> MeasureAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var conditions = new List<AlertCondition>();
        conditions.AddRange(await StorageAsync(connection, cancellationToken));
        var settings = options.Value;
        conditions.AddRange(await ShareAsync(connection, RecordingFailuresSql, AlertKinds.RecordingFailures, "failureCodes",
            settings.RecordingFailureWarningPercent, settings.RecordingFailureCriticalPercent, cancellationToken));
        conditions.AddRange(await ShareAsync(connection, SessionInterruptionsSql, AlertKinds.SessionInterruptions, "errorCodes",
            settings.SessionInterruptionWarningPercent, settings.SessionInterruptionCriticalPercent, cancellationToken));
        if (await DatabaseSizeAsync(connection, cancellationToken) is { } databaseSize)
        {
            conditions.Add(databaseSize);
        }
        return conditions;
    }

    private async Task<IEnumerable<AlertCondition>> StorageAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var rows = await connection.QueryAsync<StorageRow>(new CommandDefinition(StorageSql, new
        {
            WarningPercent = settings.StorageWarningPercent,
            recordingsOptions.Value.DefaultStorageLimitBytes,
        }, cancellationToken: cancellationToken));
        return rows.Select(row =>
        {
            var percent = row.UsedBytes * 100m / Math.Max(row.LimitBytes, 1);
            var (severity, threshold) = AlertSeverities.Of(percent, settings.StorageWarningPercent, settings.StorageCriticalPercent)
                ?? throw new InvalidOperationException("The storage query returned a user below the warning threshold.");
            return new AlertCondition(AlertKinds.StorageUsage, row.UserId, severity, Truncate(percent), threshold,
                new Dictionary<string, object?>
            {
                ["usedBytes"] = row.UsedBytes,
                ["limitBytes"] = row.LimitBytes,
                ["limitSource"] = row.OwnLimit ? "user_storage_limits" : "default",
                ["recordings"] = row.Recordings,
            });
        });
    }

    private async Task<IEnumerable<AlertCondition>> ShareAsync(
        NpgsqlConnection connection, string sql, string kind, string codesName, decimal warningPercent, decimal criticalPercent,
        CancellationToken cancellationToken)
    {
        var minimumSample = options.Value.FailureMinimumSample;
        var rows = await connection.QueryAsync<ShareRow>(new CommandDefinition(sql, new
        {
            Names = AlertWindow.All.Select(window => window.Name).ToArray(),
            Hours = AlertWindow.All.Select(window => window.Hours).ToArray(),
        }, cancellationToken: cancellationToken));
        var conditions = new List<AlertCondition>();
        foreach (var row in rows.Where(row => row.Settled >= minimumSample))
        {
            var percent = row.Failed * 100m / row.Settled;
            if (AlertSeverities.Of(percent, warningPercent, criticalPercent) is { } level)
            {
                conditions.Add(
                    new AlertCondition(kind, row.Window, level.Severity, Truncate(percent), level.Threshold, new Dictionary<string, object?>
                {
                    ["failed"] = row.Failed,
                    ["settled"] = row.Settled,
                    ["windowHours"] = AlertWindow.All.Single(window => window.Name == row.Window).Hours,
                    [codesName] = JsonSerializer.Deserialize<Dictionary<string, long>>(row.Codes),
                }));
            }
        }
        return conditions;
    }

    private async Task<AlertCondition?> DatabaseSizeAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.ChecksDatabaseSize)
        {
            return null;
        }
        var budget = settings.DatabaseSizeBudgetBytes!.Value;
        var size = await connection.ExecuteScalarAsync<long>(new CommandDefinition(DatabaseSizeSql, cancellationToken: cancellationToken));
        var percent = size * 100m / budget;
        return AlertSeverities.Of(percent, settings.DatabaseSizeWarningPercent, settings.DatabaseSizeCriticalPercent) is { } level
            ? new AlertCondition(AlertKinds.DatabaseSize, AlertKinds.DatabaseSubject, level.Severity, Truncate(percent), level.Threshold,
                new Dictionary<string, object?>
            {
                ["sizeBytes"] = size,
                ["budgetBytes"] = budget,
            })
            : null;
    }

    // Two decimals, rounded down: a stored value is never above the true one, so it stays on the side of
    // its threshold (99.996 % is shown 99.99 %, not a "100 %" that is only a warning).
    private static decimal Truncate(decimal percent) => Math.Truncate(percent * 100) / 100;

    private sealed record StorageRow(string UserId, int Recordings, long UsedBytes, long LimitBytes, bool OwnLimit);

    private sealed record ShareRow(string Window, int Failed, int Settled, string Codes);
}
