using System.Globalization;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Audit;
using Recorder.Core.Data;

namespace Recorder.Core.Sessions;

/// <summary>
/// Interrupts active sessions whose browser stopped sending heartbeats (tab closed, crash, network
/// gone): status <c>interrupted</c>, error code <see cref="ErrorCode"/>, ended at the last heartbeat,
/// the last moment the page was known to be recording. Runs as recorder_maintenance (across users),
/// in bounded batches, each one statement that also writes the audit entries.
/// </summary>
public sealed class StaleSessionSweeper(
    RecorderDataSources dataSources, IOptions<SessionOptions> options, ILogger<StaleSessionSweeper> logger)
{
    public const string ActorId = "stale-session-sweep";
    public const string ErrorCode = "heartbeat_timeout";

    // The partial index idx_recording_sessions_active_heartbeat serves the scan. SKIP LOCKED passes over a
    // session whose heartbeat (or completion) is being written right now; the lock re-checks the row, so
    // a heartbeat committed in the meantime saves it. greatest(): ended_at may not precede started_at.
    private const string SweepBatchSql = """
        WITH stale AS (
          SELECT id, started_at FROM recording_sessions
          WHERE status = 'active' AND last_heartbeat_at < now() - @StaleAfter
          ORDER BY last_heartbeat_at
          LIMIT @BatchSize
          FOR UPDATE SKIP LOCKED
        ), swept AS (
          UPDATE recording_sessions AS s
          SET status = 'interrupted', ended_at = greatest(s.last_heartbeat_at, s.started_at),
              error_code = @ErrorCode, error_message = @ErrorMessage
          FROM stale
          WHERE s.id = stale.id AND s.started_at = stale.started_at
          RETURNING s.id, s.user_id, s.recording_id, s.last_heartbeat_at
        ), audited AS (
          INSERT INTO audit_log (actor_type, actor_id, user_id, action, recording_id, outcome, details)
          SELECT 'system', @ActorId, user_id, @Action, recording_id, 'success',
                 jsonb_build_object('sessionId', id, 'errorCode', @ErrorCode::text, 'lastHeartbeatAt', last_heartbeat_at)
          FROM swept
        )
        SELECT count(*)::int FROM swept
        """;

    /// <summary>Sweeps up to <see cref="SessionOptions.SweepMaxBatches"/> batches; returns how many sessions it interrupted.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var parameters = new
        {
            settings.StaleAfter,
            BatchSize = settings.SweepBatchSize,
            ErrorCode,
            ErrorMessage = string.Create(CultureInfo.InvariantCulture,
                $"No heartbeat for more than {settings.StaleAfter.TotalSeconds:0} seconds: the recorder page was closed, " +
                $"crashed or lost its connection."),
            ActorId,
            Action = AuditActions.SessionInterrupt,
        };

        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        var total = 0;
        for (var batch = 1; ; batch++)
        {
            var swept = await connection.ExecuteScalarAsync<int>(
                new CommandDefinition(SweepBatchSql, parameters, cancellationToken: cancellationToken));
            total += swept;
            if (swept < settings.SweepBatchSize)
            {
                break;
            }
            if (batch == settings.SweepMaxBatches)
            {
                logger.LogWarning("Stale session sweep stopped after {Batches} full batches; the rest waits for the next run", batch);
                break;
            }
        }
        if (total > 0)
        {
            logger.LogInformation("Stale session sweep interrupted {Count} sessions without a heartbeat for {StaleAfter}", total,
                settings.StaleAfter);
        }
        return total;
    }
}
