using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.Partitions;

namespace Recorder.Core.Lifecycle;

/// <summary>Whom a retention policy or a legal hold is about: exactly one of the three.</summary>
public sealed record RetentionSubject(string? UserId = null, int? ProjectId = null, long? RecordingId = null)
{
    public override string ToString()
        => UserId is not null ? $"user {UserId}" : ProjectId is { } project ? $"project {project}" : $"recording {RecordingId}";
}

/// <summary>What a lifecycle run would do now; nothing was written to find it out.</summary>
public sealed record RetentionDryRun(
    IReadOnlyDictionary<string, int> ExpiredByRule,
    IReadOnlyList<RetentionCandidate> Listed,
    int Deleting,
    int AbandonedUploads,
    int StuckProcessing,
    SessionExpiryPreview Sessions);

/// <summary>
/// The operator's side of retention (the CLI): per-user and per-project policies, legal holds on a
/// recording or a user, and the dry run. Runs as recorder_maintenance; every change is audited as the
/// system (actor <see cref="ActorId"/>) in the same transaction.
/// </summary>
public sealed class RetentionAdministration(
    RecorderDataSources dataSources,
    PartitionMaintenanceService partitions,
    IOptions<LifecycleOptions> options)
{
    public const string ActorId = "recorder-cli";

    private const string ProjectOwnerSql = "SELECT user_id FROM projects WHERE id = @ProjectId";
    private const string UserExistsSql = "SELECT id FROM users WHERE id = @UserId";

    private const string SetUserPolicySql = """
        INSERT INTO retention_policies (user_id, retention_days) VALUES (@UserId, @Days)
        ON CONFLICT (user_id) WHERE user_id IS NOT NULL DO UPDATE SET retention_days = excluded.retention_days, updated_at = now()
        """;

    private const string SetProjectPolicySql = """
        INSERT INTO retention_policies (project_id, retention_days) VALUES (@ProjectId, @Days)
        ON CONFLICT (project_id) WHERE project_id IS NOT NULL DO UPDATE SET retention_days = excluded.retention_days, updated_at = now()
        """;

    private const string ClearPolicySql = """
        DELETE FROM retention_policies
        WHERE (@UserId::varchar IS NOT NULL AND user_id = @UserId) OR (@ProjectId::int IS NOT NULL AND project_id = @ProjectId)
        """;

    private const string SetUserHoldSql = """
        INSERT INTO user_legal_holds (user_id, reason) VALUES (@UserId, @Reason)
        ON CONFLICT (user_id) DO UPDATE SET reason = excluded.reason
        """;

    private const string ClearUserHoldSql = "DELETE FROM user_legal_holds WHERE user_id = @UserId";

    private const string SetRecordingHoldSql = "UPDATE recordings SET legal_hold = @Hold WHERE id = @RecordingId " +
        "RETURNING user_id AS UserId, status AS Status";

    private const string AuditSql = """
        INSERT INTO audit_log (actor_type, actor_id, user_id, action, recording_id, outcome, details)
        VALUES ('system', @ActorId, @UserId, @Action, @RecordingId, 'success', @Details::jsonb)
        """;

    private const string CountsByRuleSql = $"SELECT rule AS Rule, count(*)::int AS Count FROM ({RetentionCandidates.Sql}) c GROUP BY rule";

    private const string OtherStepsSql = """
        SELECT
          (SELECT count(*)::int FROM recordings r WHERE status = 'deleting' AND NOT recorder_recording_held(r)) AS Deleting,
          (SELECT count(*)::int FROM recordings WHERE status = 'uploading' AND created_at < now() - @AbandonedUploadAfter) AS Abandoned,
          (SELECT count(*)::int FROM recordings WHERE status = 'processing' AND processing_started_at < now() - @StuckProcessingAfter
             AND (ingest_lease_until IS NULL OR ingest_lease_until < now())) AS Stuck
        """;

    /// <summary>Sets a user's or a project's retention in days (replacing one it had).</summary>
    public Task SetPolicyAsync(RetentionSubject subject, int days, CancellationToken cancellationToken)
    {
        if (days < 1)
        {
            throw new ArgumentException("Retention days must be at least 1.", nameof(days));
        }
        return ChangeAsync(subject, AuditActions.RetentionPolicySet, new { retentionDays = days }, async (connection, transaction) =>
        {
            var sql = subject.UserId is not null ? SetUserPolicySql : SetProjectPolicySql;
            await connection.ExecuteAsync(
                new CommandDefinition(sql, new { subject.UserId, subject.ProjectId, Days = days }, transaction,
                    cancellationToken: cancellationToken));
            return null;
        }, allowRecording: false, cancellationToken);
    }

    /// <summary>Removes a user's or a project's policy; the next rule in line applies again. Returns whether there was one.</summary>
    public async Task<bool> ClearPolicyAsync(RetentionSubject subject, CancellationToken cancellationToken)
    {
        var removed = 0;
        await ChangeAsync(subject, AuditActions.RetentionPolicyClear, new { }, async (connection, transaction) =>
        {
            removed = await connection.ExecuteAsync(
                new CommandDefinition(ClearPolicySql, new { subject.UserId, subject.ProjectId }, transaction,
                    cancellationToken: cancellationToken));
            return null;
        }, allowRecording: false, cancellationToken);
        return removed > 0;
    }

    /// <summary>
    /// Places or lifts a legal hold on a recording or a user. Returns the recording's status for a
    /// recording hold (one already 'deleting' keeps only what is left of it), null for a user.
    /// </summary>
    public async Task<string?> SetHoldAsync(RetentionSubject subject, bool hold, string? reason, CancellationToken cancellationToken)
    {
        if (subject.ProjectId is not null)
        {
            throw new ArgumentException("A legal hold is placed on a recording or a user, not a project.", nameof(subject));
        }
        string? status = null;
        var action = (subject.RecordingId is not null, hold) switch
        {
            (true, true) => AuditActions.RecordingLegalHoldSet,
            (true, false) => AuditActions.RecordingLegalHoldClear,
            (false, true) => AuditActions.UserLegalHoldSet,
            (false, false) => AuditActions.UserLegalHoldClear,
        };
        await ChangeAsync(subject, action, new { reason }, async (connection, transaction) =>
        {
            if (subject.RecordingId is { } recordingId)
            {
                var row = await connection.QuerySingleOrDefaultAsync<(string UserId, string Status)?>(new CommandDefinition(
                    SetRecordingHoldSql, new { RecordingId = recordingId, Hold = hold }, transaction, cancellationToken: cancellationToken))
                    ?? throw new InvalidOperationException($"Recording {recordingId} does not exist.");
                status = row.Status;
                return row.UserId;
            }
            await connection.ExecuteAsync(
                new CommandDefinition(hold ? SetUserHoldSql : ClearUserHoldSql, new { subject.UserId, Reason = reason }, transaction,
                    cancellationToken: cancellationToken));
            return null;
        }, allowRecording: true, cancellationToken);
        return status;
    }

    /// <summary>
    /// What a run would delete now: counts by rule, the oldest
    /// <paramref name="limit"/> recordings, the other steps' counts, expired sessions.
    /// </summary>
    public async Task<RetentionDryRun> DryRunAsync(int limit, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        // Read only, one snapshot: the counts and the list agree.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await connection.ExecuteAsync(
            new CommandDefinition("SET TRANSACTION READ ONLY", transaction: transaction, cancellationToken: cancellationToken));
        var counts = (await connection.QueryAsync<(string Rule, int Count)>(new CommandDefinition(
            CountsByRuleSql, new { DefaultDays = settings.RetentionDays, Limit = (int?)null }, transaction,
            cancellationToken: cancellationToken)))
            .ToDictionary(row => row.Rule, row => row.Count);
        var listed = (await connection.QueryAsync<RetentionCandidate>(new CommandDefinition(
            RetentionCandidates.Sql, new { DefaultDays = settings.RetentionDays, Limit = (int?)limit }, transaction,
            cancellationToken: cancellationToken))).AsList();
        var other = await connection.QuerySingleAsync<(int Deleting, int Abandoned, int Stuck)>(new CommandDefinition(
            OtherStepsSql, new { settings.AbandonedUploadAfter, settings.StuckProcessingAfter }, transaction,
            cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        var sessions = await partitions.PreviewExpiryAsync(cancellationToken);
        return new RetentionDryRun(counts, listed, other.Deleting, other.Abandoned, other.Stuck, sessions);
    }

    private async Task ChangeAsync(
        RetentionSubject subject,
        string action,
        object details,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<string?>> change,
        bool allowRecording,
        CancellationToken cancellationToken)
    {
        if (new object?[] { subject.UserId, subject.ProjectId, subject.RecordingId }.Count(value => value is not null) != 1
            || (!allowRecording && subject.RecordingId is not null))
        {
            throw new ArgumentException(allowRecording ? "Name exactly one user or recording." : "Name exactly one user or project.",
                nameof(subject));
        }
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var owner = subject switch
        {
            { UserId: { } userId } => await connection.ExecuteScalarAsync<string?>(
                new CommandDefinition(UserExistsSql, new { UserId = userId }, transaction, cancellationToken: cancellationToken))
                ?? throw new InvalidOperationException($"User {userId} does not exist."),
            { ProjectId: { } projectId } => await connection.ExecuteScalarAsync<string?>(
                new CommandDefinition(ProjectOwnerSql, new { ProjectId = projectId }, transaction, cancellationToken: cancellationToken))
                ?? throw new InvalidOperationException($"Project {projectId} does not exist."),
            _ => null,
        };
        owner = await change(connection, transaction) ?? owner;
        await connection.ExecuteAsync(new CommandDefinition(AuditSql, new
        {
            ActorId,
            UserId = owner,
            Action = action,
            subject.RecordingId,
            Details = JsonSerializer.Serialize(new { subject = subject.ToString(), details }),
        }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }
}
