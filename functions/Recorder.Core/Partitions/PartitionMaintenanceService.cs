using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Audit;
using Recorder.Core.Data;

namespace Recorder.Core.Partitions;

/// <summary>What one partition maintenance run did.</summary>
public sealed record PartitionMaintenanceResult(int Created, IReadOnlyList<DroppedPartition> Dropped, int DefaultRowsDeleted);

/// <summary>A weekly partition dropped because its whole week is past session retention.</summary>
public sealed record DroppedPartition(string PartitionName, DateTime RangeEnd, long DroppedRows, long KeptRows);

/// <summary>What session retention would remove now (the dry run).</summary>
public sealed record SessionExpiryPreview(DateTime Cutoff, IReadOnlyList<ExpiredPartition> Partitions, int DefaultRows);

public sealed record ExpiredPartition(string PartitionName, DateTime RangeEnd, long Rows);

/// <summary>
/// Keeps weekly recording_sessions partitions created ahead, so rows land in their own week, and removes sessions past
/// <see cref="PartitionOptions.SessionRetentionDays"/> except held users' (docs/operations.md, "Partitions and session retention").
/// </summary>
public sealed class PartitionMaintenanceService(
    RecorderDataSources dataSources, IOptions<PartitionOptions> options, ILogger<PartitionMaintenanceService> logger)
{
    public const string ActorId = "partitions";

    private const string EnsureSql = "SELECT recorder_ensure_weekly_partitions('recording_sessions'::regclass, @WeeksAhead)";

    private const string DropExpiredSql = """
        SELECT partition_name AS PartitionName, range_end AS RangeEnd, dropped_rows AS DroppedRows, kept_rows AS KeptRows
        FROM recorder_drop_expired_session_partitions(now() - make_interval(days => @SessionRetentionDays))
        """;

    // No user: a week holds many users' sessions. The entry records what went, not whose.
    private const string AuditDropSql = """
        INSERT INTO audit_log (actor_type, actor_id, user_id, action, outcome, details)
        VALUES ('system', @ActorId, NULL, @Action, 'success', @Details::jsonb)
        """;

    // By primary key (id, started_at), never by ctid: a ctid names a row only within one partition.
    // The default partition is small (rows outside the created weeks), so it is scanned.
    private const string DeleteDefaultBatchSql = """
        WITH expired AS (
          SELECT id, started_at FROM recording_sessions_default d
          WHERE started_at < now() - make_interval(days => @SessionRetentionDays)
            AND NOT recorder_user_held(d.user_id)
          ORDER BY started_at, id
          LIMIT @SessionBatchSize
        ), deleted AS (
          DELETE FROM recording_sessions_default d
          USING expired
          WHERE d.id = expired.id AND d.started_at = expired.started_at
          RETURNING d.user_id
        ), audited AS (
          INSERT INTO audit_log (actor_type, actor_id, user_id, action, outcome, details)
          SELECT 'system', @ActorId, user_id, @Action, 'success', jsonb_build_object('sessions', count(*))
          FROM deleted GROUP BY user_id
        )
        SELECT count(*)::int FROM deleted
        """;

    private const string PreviewPartitionsSql = """
        SELECT c.relname::text AS PartitionName, bound.range_end AS RangeEnd,
               (SELECT count(*) FROM recording_sessions s
                WHERE s.started_at >= bound.range_start AND s.started_at < bound.range_end) AS Rows
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        CROSS JOIN LATERAL (
          SELECT substring(pg_get_expr(c.relpartbound, c.oid) FROM 'FROM \(''([^'']+)''\)')::timestamptz AS range_start,
                 substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz AS range_end
        ) bound
        WHERE i.inhparent = 'recording_sessions'::regclass AND bound.range_end <= @Cutoff
        ORDER BY bound.range_end
        """;

    private const string PreviewDefaultSql = """
        SELECT count(*)::int FROM recording_sessions_default d
        WHERE started_at < @Cutoff AND NOT recorder_user_held(d.user_id)
        """;

    /// <summary>The timer's run: create the coming weeks, then remove expired sessions.</summary>
    public async Task<PartitionMaintenanceResult> RunAsync(CancellationToken cancellationToken)
    {
        var created = await EnsurePartitionsAsync(cancellationToken);
        var (dropped, deleted) = await ExpireSessionsAsync(cancellationToken);
        return new PartitionMaintenanceResult(created, dropped, deleted);
    }

    public async Task<int> EnsurePartitionsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        var created = await connection.ExecuteScalarAsync<int>(
            new CommandDefinition(EnsureSql, new { options.Value.WeeksAhead }, cancellationToken: cancellationToken));
        logger.LogInformation("Partition maintenance created {Created} recording_sessions partitions ({WeeksAhead} weeks ahead)", created,
            options.Value.WeeksAhead);
        return created;
    }

    public async Task<(IReadOnlyList<DroppedPartition> Dropped, int DefaultRowsDeleted)> ExpireSessionsAsync(
        CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);

        List<DroppedPartition> dropped;
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            dropped = (await connection.QueryAsync<DroppedPartition>(new CommandDefinition(
                DropExpiredSql, new { settings.SessionRetentionDays }, transaction, cancellationToken: cancellationToken))).AsList();
            foreach (var partition in dropped)
            {
                await connection.ExecuteAsync(new CommandDefinition(AuditDropSql, new
                {
                    ActorId,
                    Action = AuditActions.SessionPartitionDrop,
                    Details = JsonSerializer.Serialize(
                        new { partition = partition.PartitionName, rangeEnd = partition.RangeEnd, sessions = partition.DroppedRows,
                            keptUnderLegalHold = partition.KeptRows }),
                }, transaction, cancellationToken: cancellationToken));
            }
            await transaction.CommitAsync(cancellationToken);
        }

        var deleted = 0;
        for (var batch = 1; ; batch++)
        {
            var rows = await connection.ExecuteScalarAsync<int>(new CommandDefinition(DeleteDefaultBatchSql, new
            {
                settings.SessionRetentionDays,
                settings.SessionBatchSize,
                ActorId,
                Action = AuditActions.SessionExpire,
            }, cancellationToken: cancellationToken));
            deleted += rows;
            if (rows < settings.SessionBatchSize)
            {
                break;
            }
            if (batch >= settings.SessionMaxBatches)
            {
                logger.LogWarning(
                    "Session retention stopped after {Batches} full batches of the default partition; the rest waits for the next run",
                    batch);
                break;
            }
        }
        if (dropped.Count + deleted > 0)
        {
            logger.LogInformation(
                "Session retention dropped {Partitions} weekly partitions ({Sessions} sessions) " +
                "and deleted {Deleted} sessions from the default partition",
                dropped.Count, dropped.Sum(partition => partition.DroppedRows), deleted);
        }
        return (dropped, deleted);
    }

    /// <summary>What <see cref="ExpireSessionsAsync"/> would remove now; writes nothing.</summary>
    public async Task<SessionExpiryPreview> PreviewExpiryAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        var cutoff = await connection.ExecuteScalarAsync<DateTime>(new CommandDefinition(
            "SELECT now() - make_interval(days => @SessionRetentionDays)", new { options.Value.SessionRetentionDays },
            cancellationToken: cancellationToken));
        var partitions = (await connection.QueryAsync<ExpiredPartition>(
            new CommandDefinition(PreviewPartitionsSql, new { Cutoff = cutoff }, cancellationToken: cancellationToken))).AsList();
        var defaultRows = await connection.ExecuteScalarAsync<int>(
            new CommandDefinition(PreviewDefaultSql, new { Cutoff = cutoff }, cancellationToken: cancellationToken));
        return new SessionExpiryPreview(cutoff, partitions, defaultRows);
    }
}
