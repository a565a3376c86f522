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
    /// Settled recordings (completed or failed) created in one window: uploads still running have no outcome yet, and
    /// 'deleting' ones are being removed. idx_recordings_created_status (014) serves the counts index-only and
    /// idx_recordings_failed_created (037) the failed rows' codes. A statement a window, its length a plain parameter, so
    /// the plan is made for that window: joined to a list of windows, the bound was unknown to the planner, which took a
    /// third of the table for it and scanned all of recordings (5.7 s at 10 M, bench/notes/mixed-load.md).
    /// </summary>
    public const string RecordingFailuresSql = """
        SELECT count(*) FILTER (WHERE status = 'failed')::int AS Failed, count(*)::int AS Settled,
               (SELECT coalesce(jsonb_object_agg(code, n), '{}'::jsonb)::text FROM (
                  SELECT coalesce(failure_code, 'unknown') AS code, count(*) AS n FROM recordings AS failed
                  WHERE created_at >= now() - make_interval(hours => @Hours) AND status = 'failed'
                  GROUP BY 1) AS codes) AS Codes
        FROM recordings AS settled
        WHERE created_at >= now() - make_interval(hours => @Hours) AND status IN ('completed', 'failed')
        """;

    // Ended sessions (completed or interrupted) started in one window; active ones have no outcome yet. The window is on
    // the partition key and a plain parameter, so only the newest weekly partitions are read.
    private const string SessionInterruptionsSql = """
        SELECT count(*) FILTER (WHERE status = 'interrupted')::int AS Failed, count(*)::int AS Settled,
               (SELECT coalesce(jsonb_object_agg(code, n), '{}'::jsonb)::text FROM (
                  SELECT coalesce(error_code, 'unknown') AS code, count(*) AS n FROM recording_sessions
                  WHERE started_at >= now() - make_interval(hours => @Hours) AND status = 'interrupted'
                  GROUP BY 1) AS codes) AS Codes
        FROM recording_sessions
        WHERE started_at >= now() - make_interval(hours => @Hours) AND status IN ('completed', 'interrupted')
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
        var conditions = new List<AlertCondition>();
        foreach (var window in AlertWindow.All)
        {
            var row = await connection.QuerySingleAsync<ShareRow>(
                new CommandDefinition(sql, new { window.Hours }, cancellationToken: cancellationToken));
            if (row.Settled < minimumSample)
            {
                continue;
            }
            var percent = row.Failed * 100m / row.Settled;
            if (AlertSeverities.Of(percent, warningPercent, criticalPercent) is { } level)
            {
                conditions.Add(
                    new AlertCondition(kind, window.Name, level.Severity, Truncate(percent), level.Threshold, new Dictionary<string, object?>
                {
                    ["failed"] = row.Failed,
                    ["settled"] = row.Settled,
                    ["windowHours"] = window.Hours,
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

    private sealed record ShareRow(int Failed, int Settled, string Codes);
}
