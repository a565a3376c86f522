using System.Data;
using System.Text.Json;
using Dapper;
using Recorder.Core.Api;

namespace Recorder.Core.Audit;

public static class AuditActions
{
    public const string RecordingCreate = "recording.create";
    public const string RecordingRenewUploadUrl = "recording.renew_upload_url";
    public const string RecordingReadUpload = "recording.read_upload";
    public const string RecordingRecover = "recording.recover";
    public const string RecordingList = "recording.list";
    public const string RecordingRead = "recording.read";
    public const string RecordingUpdate = "recording.update";
    public const string RecordingDelete = "recording.delete";
    public const string RecordingRetention = "recording.retention";
    public const string RecordingPurge = "recording.purge";
    public const string RecordingAbandon = "recording.abandon";
    public const string RecordingRequeue = "recording.requeue";
    public const string RecordingIngest = "recording.ingest";
    public const string RecordingBlobCleanup = "recording.blob_cleanup";
    public const string RecordingBlobRewritten = "recording.blob_rewritten";
    public const string RecordingMimeTypeCorrected = "recording.mime_type_corrected";
    public const string BlobQuarantine = "blob.quarantine";
    public const string BlobErasedLate = "blob.erased_late";
    public const string RecordingLegalHoldSet = "recording.legal_hold_set";
    public const string RecordingLegalHoldClear = "recording.legal_hold_clear";
    public const string UserLegalHoldSet = "user.legal_hold_set";
    public const string UserLegalHoldClear = "user.legal_hold_clear";
    public const string RetentionPolicySet = "retention_policy.set";
    public const string RetentionPolicyClear = "retention_policy.clear";
    public const string SessionExpire = "recording_session.expire";
    public const string SessionPartitionDrop = "recording_session.partition_drop";
    public const string RecordingEdit = "recording.edit";
    public const string RecordingEditUndo = "recording.edit_undo";
    public const string RecordingEditRedo = "recording.edit_redo";
    public const string RecordingEditHistory = "recording.edit_history";
    public const string SessionCreate = "recording_session.create";
    public const string SessionRead = "recording_session.read";
    public const string SessionList = "recording_session.list";
    public const string SessionStats = "recording_session.stats";
    public const string SessionHeartbeat = "recording_session.heartbeat";
    public const string SessionComplete = "recording_session.complete";
    public const string SessionInterrupt = "recording_session.interrupt";
    public const string ContentCreate = "content.create";
    public const string SocialPostCreate = "social_post.create";
    public const string AiTaskCreate = "ai_task.create";
    public const string AiTaskList = "ai_task.list";
    public const string PrivacyExportRequest = "privacy.export_request";
    public const string PrivacyExport = "privacy.export";
    public const string PrivacyExportRead = "privacy.export_read";
    public const string PrivacyExportExpire = "privacy.export_expire";
    public const string PrivacyErasure = "privacy.erasure";
}

public static class AuditOutcomes
{
    public const string Success = "success";
    public const string NotFound = "not_found";
    public const string Rejected = "rejected";
    public const string Failed = "failed";
}

/// <summary>One audit entry about a user's action on their own data.</summary>
public sealed record AuditEntry(string UserId, string Action, string Outcome, long? RecordingId = null, object? Details = null);

/// <summary>
/// One audit entry about what a timer or worker (<paramref name="ActorId"/>)
/// did; <paramref name="UserId"/> is whose data it touched, if anyone's.
/// </summary>
public sealed record SystemAuditEntry(
    string ActorId, string? UserId, string Action, string Outcome, long? RecordingId = null, object? Details = null);

/// <summary>
/// Writes audit entries inside the caller's transaction, so an entry exists exactly when the
/// change it describes was committed.
/// </summary>
public static class AuditLog
{
    private const string InsertUserEntrySql = """
        INSERT INTO audit_log (actor_type, actor_id, user_id, action, recording_id, outcome, request_id, client_ip, user_agent, details)
        VALUES ('user', @UserId, @UserId, @Action, @RecordingId, @Outcome, @RequestId, @ClientIp::inet, @UserAgent, @Details::jsonb)
        """;

    /// <returns>The rows written: 1.</returns>
    public static Task<int> WriteAsync(
        IDbConnection connection, IDbTransaction transaction, AuditEntry entry, RequestInfo request, CancellationToken cancellationToken)
        => connection.ExecuteAsync(new CommandDefinition(
            InsertUserEntrySql,
            new
            {
                entry.UserId,
                entry.Action,
                entry.RecordingId,
                entry.Outcome,
                request.RequestId,
                ClientIp = request.ClientIp?.ToString(),
                request.UserAgent,
                Details = Details(entry.Details),
            },
            transaction,
            cancellationToken: cancellationToken));

    /// <summary>An entry's details as stored (JSON of the API's casing); for statements that write their entry themselves.</summary>
    public static string Details(object? details) => JsonSerializer.Serialize(details ?? new { }, JsonRequest.SerializerOptions);

    private const string InsertSystemEntrySql = """
        INSERT INTO audit_log (actor_type, actor_id, user_id, action, recording_id, outcome, details)
        VALUES ('system', @ActorId, @UserId, @Action, @RecordingId, @Outcome, @Details::jsonb)
        """;

    public static Task WriteSystemAsync(
        IDbConnection connection, IDbTransaction transaction, SystemAuditEntry entry, CancellationToken cancellationToken)
        => connection.ExecuteAsync(new CommandDefinition(
            InsertSystemEntrySql,
            new
            {
                entry.ActorId,
                entry.UserId,
                entry.Action,
                entry.RecordingId,
                entry.Outcome,
                Details = JsonSerializer.Serialize(entry.Details ?? new { }, JsonRequest.SerializerOptions),
            },
            transaction,
            cancellationToken: cancellationToken));
}
