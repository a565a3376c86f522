using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Api;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.LiveUploads;
using Recorder.Core.Recordings;
using Recorder.Core.Security;
using Recorder.Core.Storage;
using Recorder.Core.Uploads.Sas;

namespace Recorder.Core.Uploads;

/// <summary>
/// Issues upload URLs: validates the request, checks the caller's quota, records the recording in
/// status <c>uploading</c> under a server-chosen blob name, and signs a URL for that one blob. A live upload
/// (staged while recording) reserves its expected size, and each renewal checks what it has staged.
/// </summary>
public sealed partial class UploadService(
    RecorderDataSources dataSources,
    BlobServiceClient blobs,
    IBlobSasIssuer sas,
    StorageQuota quota,
    LiveUploadService liveUploads,
    IOptions<LiveUploadOptions> liveOptions,
    IOptions<RecordingsOptions> recordingsOptions,
    IOptions<StorageOptions> storageOptions,
    IOptions<SasOptions> sasOptions,
    TimeProvider time,
    ILogger<UploadService> logger)
{
    // The whole request in one statement, after set_config and the quota lock (UserTransaction.QuerySingleAsUserAsync): the
    // checks (project, session, storage), then, if all pass, the id, the row, the session's link and the audit entry (as
    // AuditLog writes a user's entry). The session is locked until commit, so a concurrent complete cannot link another
    // recording between the check and the link; under row-level security only the caller's sessions are visible. The
    // usage row is read after the lock was granted (its own snapshot). The blob name is {user folder}/{recording id}/
    // {random}{ext}: see BlobFileFor.
    private const string CreateSql = $"""
        WITH session AS (
          SELECT recording_id FROM recording_sessions WHERE id = @SessionId FOR NO KEY UPDATE
        ), verdict AS (
          SELECT {StorageQuota.UsedBytesSql} AS used_bytes,
                 coalesce({StorageQuota.OwnLimitBytesSql}, @DefaultStorageLimitBytes)::bigint AS limit_bytes,
                 @ProjectId::integer IS NULL OR EXISTS (SELECT 1 FROM projects WHERE id = @ProjectId AND user_id = @UserId)
                   AS project_owned,
                 @SessionId::bigint IS NULL OR EXISTS (SELECT 1 FROM session) AS session_found,
                 (SELECT recording_id FROM session) AS session_recording_id
        ), recording AS (
          INSERT INTO recordings (id, user_id, project_id, title, description, recording_type, file_size, mime_type, blob_name, quality,
                                  metadata, client_id, live, live_contact_at)
          SELECT next.id, @UserId, @ProjectId, @Title, @Description, @RecordingType, @FileSize, @MimeType,
                 @UserFolder || '/' || next.id || '/' || @BlobFile, @Quality, @Metadata::jsonb, @ClientId, @Live,
                 CASE WHEN @Live THEN now() END
          FROM verdict, LATERAL (SELECT nextval(pg_get_serial_sequence('recordings', 'id')) AS id) AS next
          WHERE verdict.project_owned AND verdict.session_found AND verdict.session_recording_id IS NULL
            AND verdict.used_bytes + @FileSize <= verdict.limit_bytes
          RETURNING id, blob_name
        ), linked AS (
          UPDATE recording_sessions SET recording_id = recording.id FROM recording WHERE recording_sessions.id = @SessionId
        ), audited AS (
          INSERT INTO audit_log (actor_type, actor_id, user_id, action, recording_id, outcome, request_id, client_ip, user_agent, details)
          SELECT 'user', @UserId, @UserId, @Action, id, @Outcome, @RequestId, @ClientIp::inet, @UserAgent, @Details::jsonb
          FROM recording
        )
        SELECT recording.id AS Id, recording.blob_name AS BlobName, verdict.used_bytes AS UsedBytes, verdict.limit_bytes AS LimitBytes,
               verdict.project_owned AS ProjectOwned, verdict.session_found AS SessionFound,
               verdict.session_recording_id AS SessionRecordingId
        FROM verdict LEFT JOIN recording ON true
        """;

    // Before CreateSql, in its first statement: the quota lock, and its plan made once per connection. With a null project
    // or session the planner's custom plans look cheaper than the generic one, so PostgreSQL would plan the statement
    // anew for every request: 1.4 ms of planning for a statement that runs in 1.0 ms on its generic plan.
    private const string BeforeCreateSql = StorageQuota.LockUserExpression + ", set_config('plan_cache_mode', 'force_generic_plan', true)";

    /// <summary>What <see cref="CreateSql"/> found and, when every check passed, made (Id and BlobName set).</summary>
    private sealed record Created(long? Id, string? BlobName, long UsedBytes, long LimitBytes, bool ProjectOwned, bool SessionFound,
        long? SessionRecordingId);

    // At most one live recording per user and client id (migration 016).
    private const string ClientIdIndex = "idx_recordings_user_client_id";

    // Locked until commit: the recovery of a silent live recording waits for, or has finished before, its renewal.
    private const string UploadingRecordingSql = "SELECT status AS Status, blob_name AS BlobName, mime_type AS MimeType, live AS Live, " +
        "recovered_at IS NOT NULL AS Recovered FROM recordings WHERE id = @Id AND status <> 'deleting' FOR NO KEY UPDATE";

    public Task<ServiceResult<UploadTicket>> CreateAsync(
        Caller caller, CreateUploadRequest request, RequestInfo requestInfo, CancellationToken cancellationToken)
        => CreateAsync(caller, request, clientId: null, requestInfo, cancellationToken);

    /// <param name="clientId">
    /// The client's own id of the recording (the page's localId, given by <c>recorder import-client-recordings</c>),
    /// kept on the row; null for the page's uploads. A second recording with the same id is a 409.
    /// </param>
    public async Task<ServiceResult<UploadTicket>> CreateAsync(
        Caller caller, CreateUploadRequest request, string? clientId, RequestInfo requestInfo, CancellationToken cancellationToken)
    {
        var validated = Validate(request);
        if (validated.Failure is { } invalid)
        {
            return invalid;
        }
        var upload = validated.Value!;

        try
        {
            return await CreateValidatedAsync(caller, upload, clientId, requestInfo, cancellationToken);
        }
        catch (PostgresException exception)
            when (exception.SqlState == PostgresErrorCodes.UniqueViolation && exception.ConstraintName == ClientIdIndex)
        {
            return new Failure(FailureKind.Conflict, $"You already have a recording with client id '{clientId}'.");
        }
    }

    private async Task<ServiceResult<UploadTicket>> CreateValidatedAsync(
        Caller caller, ValidUpload upload, string? clientId, RequestInfo requestInfo, CancellationToken cancellationToken)
    {
        // Whatever signing needs from outside (a user delegation key) is fetched before anything is written, so the URL
        // is signed in memory after the commit: no recording is left waiting for a URL nobody got.
        var expiresAt = time.GetUtcNow() + sasOptions.Value.UploadUrlLifetime;
        await sas.PrepareAsync(expiresAt, cancellationToken);

        var created = await dataSources.App.QuerySingleAsUserAsync<Created>(caller.UserId, BeforeCreateSql, CreateSql, new
        {
            caller.UserId,
            upload.ProjectId,
            upload.SessionId,
            upload.Title,
            upload.Description,
            upload.RecordingType,
            upload.FileSize,
            upload.MimeType,
            UserFolder = UserFolder(caller.UserId),
            BlobFile = BlobFileFor(upload.Extension),
            upload.Quality,
            upload.Metadata,
            ClientId = clientId,
            upload.Live,
            quota.DefaultStorageLimitBytes,
            Action = AuditActions.RecordingCreate,
            Outcome = AuditOutcomes.Success,
            requestInfo.RequestId,
            ClientIp = requestInfo.ClientIp?.ToString(),
            requestInfo.UserAgent,
            Details = AuditLog.Details(new { upload.RecordingType, upload.FileSize, upload.MimeType, upload.Live }),
        }, cancellationToken);

        if (created is not { Id: { } id, BlobName: { } blobName })
        {
            var failure = Refusal(upload, created);
            // A refusal wrote nothing; its audit entry is a transaction of its own.
            await dataSources.App.RunAsUserAsync(caller.UserId, (connection, transaction) => AuditLog.WriteAsync(connection, transaction,
                new AuditEntry(caller.UserId, AuditActions.RecordingCreate, AuditOutcomes.Rejected, Details: new { reason = failure.Detail }),
                requestInfo, cancellationToken), cancellationToken);
            return failure;
        }
        logger.LogInformation("Recording {RecordingId} awaits upload of {FileSize} bytes for user {UserId} (live: {Live})", id,
            upload.FileSize, caller.UserId, upload.Live);
        return await TicketAsync(id, blobName, upload.MimeType, upload.Live, expiresAt, cancellationToken);
    }

    // The first check that failed, in the order a caller fixes them: references, then storage.
    private static Failure Refusal(ValidUpload upload, Created created) => created switch
    {
        { ProjectOwned: false } => Failure.Invalid("projectId", "is not one of your projects."),
        { SessionFound: false } => Failure.Invalid("sessionId", "is not one of your recording sessions."),
        { SessionRecordingId: { } linked } => new Failure(FailureKind.Conflict,
            $"Recording session {upload.SessionId} already has recording {linked}."),
        _ => StorageQuota.DoesNotFit(upload.FileSize, created.UsedBytes, created.LimitBytes),
    };

    /// <summary>
    /// A fresh URL for the same blob while the recording still awaits its upload (long or resumed block uploads). For a live
    /// recording this is contact, and what it has staged must be within its limits (else 413).
    /// </summary>
    public async Task<ServiceResult<UploadTicket>> RenewAsync(
        Caller caller, long recordingId, RequestInfo requestInfo, CancellationToken cancellationToken)
        => await dataSources.App.RunAsUserAsync<ServiceResult<UploadTicket>>(caller.UserId, async (connection, transaction) =>
        {
            var recording = await connection.QuerySingleOrDefaultAsync<(string Status, string BlobName, string MimeType, bool Live,
                bool Recovered)?>(
                new CommandDefinition(UploadingRecordingSql, new { Id = recordingId }, transaction, cancellationToken: cancellationToken));
            var failure = recording switch
            {
                null => Failure.NotFound($"Recording {recordingId} does not exist."),
                { Status: not "uploading" } => new Failure(FailureKind.Conflict,
                    $"Recording {recordingId} is '{recording.Value.Status}': its upload is over, so no new upload URL is issued."),
                { Recovered: true } => new Failure(FailureKind.Conflict,
                    $"Recording {recordingId} went silent and the server is committing what it staged: its upload is over."),
                // Upload URLs can write over a committed blob: once the upload is committed (and its
                // BlobCreated event on the way), no new one is issued. Uncommitted blocks do not count.
                _ when await blobs.GetBlobContainerClient(storageOptions.Value.UploadsContainer).GetBlobClient(recording.Value.BlobName)
                    .ExistsAsync(cancellationToken)
                    => new Failure(FailureKind.Conflict,
                        $"The upload of recording {recordingId} is already committed; it is being processed."),
                { Live: true } => await liveUploads.ContactAsync(connection, transaction, caller.UserId, recordingId,
                    BlockListReads.Renewal, report: null, cancellationToken),
                _ => null,
            };
            var outcome = failure is null ? AuditOutcomes.Success : failure.Kind == FailureKind.NotFound ? AuditOutcomes.NotFound
                : AuditOutcomes.Rejected;
            await AuditLog.WriteAsync(connection, transaction,
                new AuditEntry(caller.UserId, AuditActions.RecordingRenewUploadUrl, outcome, recordingId,
                    failure is null ? null : new { reason = failure.Detail }), requestInfo, cancellationToken);
            if (failure is not null)
            {
                return failure;
            }
            return await TicketAsync(recordingId, recording!.Value.BlobName, recording.Value.MimeType, recording.Value.Live,
                time.GetUtcNow() + sasOptions.Value.UploadUrlLifetime, cancellationToken);
        }, cancellationToken);

    private async Task<UploadTicket> TicketAsync(long recordingId, string blobName, string mimeType, bool live,
        DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var url = await sas.CreateUploadUriAsync(storageOptions.Value.UploadsContainer, blobName, expiresAt, cancellationToken);
        var options = recordingsOptions.Value;
        return new UploadTicket(
            recordingId,
            url,
            blobName,
            expiresAt,
            "PUT",
            new Dictionary<string, string> { ["x-ms-blob-type"] = "BlockBlob", ["Content-Type"] = mimeType },
            options.UploadBlockSizeBytes,
            options.MaxSingleUploadBytes,
            live ? new LiveTerms((int)Math.Ceiling(liveOptions.Value.SilenceTimeout.TotalSeconds), liveOptions.Value.MaxBlocks,
                LiveBlockId.Prefix, LiveBlockId.Digits) : null);
    }

    /// <param name="FileSize">The declared size; for a live upload, what it reserves (its expected size, if any).</param>
    private sealed record ValidUpload(string Title, string? Description, string RecordingType, string MimeType, string Extension,
        long FileSize, bool Live, int? ProjectId, long? SessionId, string Quality, string Metadata);

    private ServiceResult<ValidUpload> Validate(CreateUploadRequest request)
    {
        var options = recordingsOptions.Value;
        var errors = new ValidationErrors();
        var title = errors.RequiredText("title", request.Title, 200);
        var description = errors.OptionalText("description", request.Description, 5000);
        var recordingType = errors.OneOf("recordingType", request.RecordingType, RecordingTypes.All, required: true);
        var quality = errors.OneOf("quality", request.Quality, RecordingTypes.Qualities, required: false) ?? "high";

        string? extension = null;
        var mimeType = errors.RequiredText("mimeType", request.MimeType, 100);
        if (mimeType is not null && recordingType is not null && (extension = RecordingTypes.ExtensionFor(recordingType, mimeType)) is null)
        {
            errors.Add("mimeType",
                $"must be one of {string.Join(", ", RecordingTypes.AllowedMimeTypes(recordingType))} for a {recordingType} recording " +
                $"(codec parameters allowed).");
        }

        var live = request.Live == true;
        var (sizeField, otherField) = live ? ("expectedSize", "fileSize") : ("fileSize", "expectedSize");
        switch (live ? request.ExpectedSize : request.FileSize)
        {
            case null when !live:
                errors.Add("fileSize", "is required (bytes).");
                break;
            case <= 0:
                errors.Add(sizeField, "must be a positive number of bytes.");
                break;
            case var size when size > options.MaxFileSizeBytes:
                errors.Add(sizeField, $"must be at most {options.MaxFileSizeBytes} bytes.");
                break;
        }
        if ((live ? request.FileSize : request.ExpectedSize) is not null)
        {
            errors.Add(otherField, live ? "is not known while recording: send expectedSize, if anything, for a live upload."
                : "is for a live upload (live: true); send fileSize.");
        }
        if (request.ProjectId is <= 0)
        {
            errors.Add("projectId", "must be a positive id.");
        }
        if (request.SessionId is <= 0)
        {
            errors.Add("sessionId", "must be a positive id.");
        }

        // A slides recording's timeline has a budget of its own beside the rest of the metadata (docs/api.md).
        var metadata = errors.JsonObject("metadata", request.Metadata, options.MaxMetadataBytes, (SlideTimeline.MetadataMember,
            slides => SlideTimeline.Parse(slides, "metadata." + SlideTimeline.MetadataMember, options.MaxMetadataBytes, errors)));

        if (errors.Any)
        {
            return errors.ToFailure();
        }
        var fileSize = live ? request.ExpectedSize ?? LiveUploadService.MinimumReservationBytes : request.FileSize!.Value;
        return new ValidUpload(title!, string.IsNullOrWhiteSpace(description) ? null : description.Trim(), recordingType!, mimeType!,
            extension!, fileSize, live, request.ProjectId, request.SessionId, quality, metadata);
    }

    /// <summary>
    /// The last segment of an upload's blob name, <c>{user folder}/{recordingId}/{random}{ext}</c> (InsertSql joins them):
    /// nothing of the client's title in the path, and a random part so a name cannot be guessed from the id.
    /// </summary>
    internal static string BlobFileFor(string extension) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) + extension;

    /// <summary>
    /// The first segment of every blob name of the user's (uploads, derived files, exports). A user id with characters unfit
    /// for a path segment is replaced by a digest of it.
    /// </summary>
    internal static string UserFolder(string userId)
        => SafeSegment().IsMatch(userId)
            ? userId
            : "u-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userId)))[..32];

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex SafeSegment();
}
