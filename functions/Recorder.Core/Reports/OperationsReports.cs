using Dapper;
using Microsoft.Extensions.Options;
using Recorder.Core.Data;
using Recorder.Core.Recordings;

namespace Recorder.Core.Reports;

/// <summary>A user's storage in use (bytes) against their limit, as the quota check counts it.</summary>
public sealed record UserStorageRow(string UserId, int Recordings, long UsedBytes, long LimitBytes, bool OwnLimit)
{
    /// <summary>Share of the limit in use (percent, two decimals rounded down); null for a zero limit.</summary>
    public decimal? PercentOfLimit => LimitBytes > 0 ? Math.Truncate(UsedBytes * 10000m / LimitBytes) / 100 : null;
}

/// <summary>Recordings of one status: how many, and the bytes they declare or hold.</summary>
public sealed record StatusTotalRow(string Status, long Recordings, long Bytes);

/// <summary>The seed's storage query, corrected: bytes summed as bytes, live statuses only for usage, limits beside it.</summary>
public sealed record StorageReport(
    int UsersWithRecordings, long UsedBytes, IReadOnlyList<UserStorageRow> TopUsers, IReadOnlyList<StatusTotalRow> ByStatus);

/// <summary>
/// One UTC day of recordings and sessions. Durations are seconds; null when no completed recording of the day has one yet.
/// </summary>
public sealed record ActivityDay(
    DateOnly Date, long Created, long Completed, long Failed, long InProgress, decimal? AverageDurationSeconds, long CompletedBytes,
    long SessionsStarted, long SessionsInterrupted);

/// <summary>
/// The operators' reports (<c>recorder report storage|activity</c>), read as recorder_maintenance
/// (across users): the seed's "Monitoring &amp; Alerts" queries, corrected. Figures only; the CLI formats.
/// </summary>
public sealed class OperationsReports(RecorderDataSources dataSources, IOptions<RecordingsOptions> recordingsOptions)
{
    public const int MaxTop = 10_000;
    public const int MaxDays = 366;

    // The storage alert's query (StorageQuota's definition), ordered instead of filtered.
    private const string TopUsersSql = $"""
        SELECT usage.user_id AS UserId, usage.recordings AS Recordings, usage.used_bytes AS UsedBytes,
               {StorageQuota.LimitBytesSql} AS LimitBytes, l.user_id IS NOT NULL AS OwnLimit
        FROM ({StorageQuota.UsageByUserSql}) AS usage
        LEFT JOIN user_storage_limits AS l ON l.user_id = usage.user_id
        ORDER BY usage.used_bytes DESC, usage.user_id
        LIMIT @Top
        """;

    private const string UsageTotalsSql = $"""
        SELECT count(DISTINCT user_id)::int AS Users, coalesce(sum(file_size), 0)::bigint AS UsedBytes
        FROM recordings WHERE {StorageQuota.LiveStatusesSql}
        """;

    // Every status, also those that hold no quota: failed uploads may still hold a blob, 'deleting' ones
    // are waiting for the lifecycle sweep to remove theirs.
    private const string ByStatusSql = """
        SELECT s.status AS Status, count(r.id) AS Recordings, coalesce(sum(r.file_size), 0)::bigint AS Bytes
        FROM unnest(ARRAY['uploading', 'processing', 'completed', 'failed', 'deleting']) WITH ORDINALITY AS s(status, position)
        LEFT JOIN recordings AS r ON r.status = s.status
        GROUP BY s.status, s.position
        ORDER BY s.position
        """;

    // Days are UTC dates; every day of the span appears, also a day without rows. A recording counts on
    // the day it was created, with the status it has now; duration (NUMERIC seconds) is NULL until ingest
    // measured it, so the average is over completed recordings that have one.
    private const string ActivitySql = """
        WITH span AS (
          SELECT (now() AT TIME ZONE 'UTC')::date - (@Days - 1) AS first_day, (now() AT TIME ZONE 'UTC')::date AS last_day
        ), days AS (
          SELECT generate_series(first_day, last_day, interval '1 day')::date AS day FROM span
        ), recorded AS (
          SELECT (created_at AT TIME ZONE 'UTC')::date AS day,
                 count(*) AS created,
                 count(*) FILTER (WHERE status = 'completed') AS completed,
                 count(*) FILTER (WHERE status = 'failed') AS failed,
                 count(*) FILTER (WHERE status IN ('uploading', 'processing')) AS in_progress,
                 round(avg(duration) FILTER (WHERE status = 'completed'), 3) AS average_duration,
                 coalesce(sum(file_size) FILTER (WHERE status = 'completed'), 0)::bigint AS completed_bytes
          FROM recordings, span
          WHERE created_at >= span.first_day::timestamp AT TIME ZONE 'UTC'
          GROUP BY 1
        ), sessions AS (
          SELECT (started_at AT TIME ZONE 'UTC')::date AS day,
                 count(*) AS started,
                 count(*) FILTER (WHERE status = 'interrupted') AS interrupted
          FROM recording_sessions, span
          WHERE started_at >= span.first_day::timestamp AT TIME ZONE 'UTC'
          GROUP BY 1
        )
        SELECT days.day::timestamp AS Date,
               coalesce(r.created, 0) AS Created, coalesce(r.completed, 0) AS Completed, coalesce(r.failed, 0) AS Failed,
               coalesce(r.in_progress, 0) AS InProgress, r.average_duration AS AverageDurationSeconds,
               coalesce(r.completed_bytes, 0) AS CompletedBytes,
               coalesce(s.started, 0) AS SessionsStarted, coalesce(s.interrupted, 0) AS SessionsInterrupted
        FROM days
        LEFT JOIN recorded AS r ON r.day = days.day
        LEFT JOIN sessions AS s ON s.day = days.day
        ORDER BY days.day
        """;

    /// <summary>The <paramref name="top"/> users by storage in use, the totals, and every status's count and bytes.</summary>
    public async Task<StorageReport> StorageAsync(int top, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(top, MaxTop);
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        var users = (await connection.QueryAsync<UserStorageRow>(new CommandDefinition(
            TopUsersSql, new { Top = top, recordingsOptions.Value.DefaultStorageLimitBytes },
            cancellationToken: cancellationToken))).AsList();
        var totals = await connection.QuerySingleAsync<(int Users, long UsedBytes)>(
            new CommandDefinition(UsageTotalsSql, cancellationToken: cancellationToken));
        var byStatus = (await connection.QueryAsync<StatusTotalRow>(
            new CommandDefinition(ByStatusSql, cancellationToken: cancellationToken))).AsList();
        return new StorageReport(totals.Users, totals.UsedBytes, users, byStatus);
    }

    /// <summary>The last <paramref name="days"/> UTC days (today included), oldest first.</summary>
    public async Task<IReadOnlyList<ActivityDay>> ActivityAsync(int days, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(days, MaxDays);
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ActivityRow>(
            new CommandDefinition(ActivitySql, new { Days = days }, cancellationToken: cancellationToken));
        return rows.Select(row => new ActivityDay(
            DateOnly.FromDateTime(row.Date), row.Created, row.Completed, row.Failed, row.InProgress, row.AverageDurationSeconds,
            row.CompletedBytes, row.SessionsStarted, row.SessionsInterrupted)).ToList();
    }

    private sealed record ActivityRow(
        DateTime Date, long Created, long Completed, long Failed, long InProgress, decimal? AverageDurationSeconds, long CompletedBytes,
        long SessionsStarted, long SessionsInterrupted);
}
