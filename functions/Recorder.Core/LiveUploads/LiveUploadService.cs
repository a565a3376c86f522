using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Api;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.Recordings;
using Recorder.Core.Security;
using Recorder.Core.Storage;

namespace Recorder.Core.LiveUploads;

/// <summary>What the browser last said it had staged (a heartbeat's body); storage's own count is what the limits judge.</summary>
public sealed record LiveReport(long? StagedBytes, decimal? StagedSeconds);

/// <summary>
/// The upload state of <c>GET /api/recordings/{id}/upload</c>: the blocks storage holds, and what the server would commit
/// if the browser went silent now.
/// </summary>
public sealed record UploadState(
    long RecordingId,
    string Status,
    bool Live,
    bool Recovered,
    bool Committed,
    int StagedBlocks,
    long StagedBytes,
    int RecoverableBlocks,
    long RecoverableBytes,
    string StoppedBy,
    DateTime? LastContactAt,
    int SilenceTimeoutSeconds,
    int MaxBlocks,
    IReadOnlyList<StagedBlock> Blocks);

/// <summary>
/// Live uploads on the HTTP path (docs/ingest.md, "Live uploads"): the browser's contact (a renewal, a heartbeat, a
/// block-list read) keeps a live recording from being recovered, and each renewal or heartbeat checks what storage holds
/// against <see cref="LiveLimits"/>. Runs in the caller's transaction, as the app role bound to the caller.
/// </summary>
public sealed class LiveUploadService(
    RecorderDataSources dataSources,
    BlobServiceClient blobs,
    StorageQuota quota,
    BlockListReads blockListReads,
    IOptions<LiveUploadOptions> options,
    IOptions<RecordingsOptions> recordingsOptions,
    IOptions<StorageOptions> storageOptions,
    ILogger<LiveUploadService> logger)
{
    /// <summary>
    /// What a live recording reserves of its owner's storage before storage has been asked (its <c>file_size</c> must be
    /// positive): the renewals and heartbeats raise it to what is staged.
    /// </summary>
    public const long MinimumReservationBytes = 1;

    // The row lock orders contact with the recovery sweep, which skips a locked row and re-checks the silence under its own.
    private const string LockLiveSql = """
        SELECT blob_name FROM recordings
        WHERE id = @Id AND live AND status = 'uploading' AND recovered_at IS NULL
        FOR NO KEY UPDATE
        """;

    // A live recording reserves what storage holds of it (file_size, which the quota sums), never less than before.
    private const string TouchSql = """
        UPDATE recordings
        SET live_contact_at = now(), file_size = greatest(file_size, @StagedBytes),
            live_reported_bytes = coalesce(@ReportedBytes, live_reported_bytes),
            live_reported_seconds = coalesce(@ReportedSeconds, live_reported_seconds)
        WHERE id = @Id
        """;

    private const string UploadSql = """
        SELECT status AS Status, live AS Live, blob_name AS BlobName, recovered_at IS NOT NULL AS Recovered,
               live_contact_at AS LastContactAt
        FROM recordings
        WHERE id = @Id AND status <> 'deleting'
        FOR NO KEY UPDATE
        """;

    private const string ContactSql = "UPDATE recordings SET live_contact_at = now() WHERE id = @Id AND live AND recovered_at IS NULL " +
        "RETURNING live_contact_at";

    /// <summary>
    /// The browser's contact with a live recording still uploading, within the limits: its time is recorded and the
    /// recording reserves what is staged. A 413 failure (nothing written) when storage holds more than the limits allow; a
    /// 429 (nothing written) when a <paramref name="kind"/> call read the block list too recently (<see cref="BlockListReads"/>).
    /// Nothing happens for a recording that is not live, not uploading or being recovered.
    /// </summary>
    public async Task<Failure?> ContactAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string userId, long recordingId,
        string kind, LiveReport? report, CancellationToken cancellationToken)
    {
        var blobName = await connection.ExecuteScalarAsync<string?>(
            new CommandDefinition(LockLiveSql, new { Id = recordingId }, transaction, cancellationToken: cancellationToken));
        if (blobName is null)
        {
            return null;
        }
        if (await blockListReads.RefusalAsync(connection, transaction, recordingId, kind, cancellationToken) is { } tooSoon)
        {
            return tooSoon;
        }
        StagedBlocks? staged = null;
        try
        {
            staged = await blockListReads.ReadAsync(connection, transaction, recordingId, kind, UploadBlob(blobName), cancellationToken);
        }
        catch (Exception exception) when (DependencyOutage.Of(exception) == DependencyOutage.Storage)
        {
            // The browser cannot stage anything while storage is out of reach either: its contact counts, the check waits.
            logger.LogWarning(exception, "Staged blocks of live recording {RecordingId} could not be read; contact recorded unchecked",
                recordingId);
        }
        if (staged is not null)
        {
            var limits = await LimitsAsync(connection, transaction, userId, recordingId, cancellationToken);
            if (limits.Refusal(recordingId, staged) is { } refusal)
            {
                return refusal;
            }
        }
        await connection.ExecuteAsync(new CommandDefinition(TouchSql, new
        {
            Id = recordingId,
            StagedBytes = staged?.Bytes ?? 0,
            ReportedBytes = report?.StagedBytes,
            ReportedSeconds = report?.StagedSeconds,
        }, transaction, cancellationToken: cancellationToken));
        return null;
    }

    /// <summary>
    /// The limits of one of <paramref name="userId"/>'s live recordings, under the owner's quota lock (held until the
    /// transaction ends), so two live recordings of one user cannot both take the last of the storage.
    /// </summary>
    public async Task<LiveLimits> LimitsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string userId, long recordingId,
        CancellationToken cancellationToken)
    {
        await StorageQuota.LockAsync(connection, transaction, userId, cancellationToken);
        var (others, limit) = await quota.UsageBesideAsync(connection, transaction, userId, recordingId, cancellationToken);
        return new LiveLimits(options.Value.MaxBlocks, recordingsOptions.Value.MaxFileSizeBytes, others, limit);
    }

    /// <summary>
    /// The blocks storage holds for the caller's recording while it is uploading, so a browser can resume; for a live
    /// recording this is contact too. Another user's recording is not found; one that has left uploading is a 409; a read
    /// sooner than <see cref="LiveUploadOptions.BlockListReadInterval"/> after the last is a 429.
    /// </summary>
    public async Task<ServiceResult<UploadState>> GetAsync(Caller caller, long recordingId, RequestInfo request,
        CancellationToken cancellationToken)
        => await dataSources.App.RunAsUserAsync<ServiceResult<UploadState>>(caller.UserId, async (connection, transaction) =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<UploadRow>(
                new CommandDefinition(UploadSql, new { Id = recordingId }, transaction, cancellationToken: cancellationToken));
            if (row is null || row.Status != "uploading")
            {
                var failure = row is null ? Failure.NotFound($"Recording {recordingId} does not exist.")
                    : new Failure(FailureKind.Conflict, $"Recording {recordingId} is '{row.Status}': its upload is over.",
                        Extensions: new Dictionary<string, object?> { ["recordingStatus"] = row.Status });
                await AuditLog.WriteAsync(connection, transaction, new AuditEntry(caller.UserId, AuditActions.RecordingReadUpload,
                    row is null ? AuditOutcomes.NotFound : AuditOutcomes.Rejected, recordingId), request, cancellationToken);
                return failure;
            }
            if (await blockListReads.RefusalAsync(connection, transaction, recordingId, BlockListReads.Upload, cancellationToken)
                is { } tooSoon)
            {
                await AuditLog.WriteAsync(connection, transaction, new AuditEntry(caller.UserId, AuditActions.RecordingReadUpload,
                    AuditOutcomes.Rejected, recordingId, new { reason = tooSoon.Detail }), request, cancellationToken);
                return tooSoon;
            }

            var staged = await blockListReads.ReadAsync(connection, transaction, recordingId, BlockListReads.Upload,
                UploadBlob(row.BlobName), cancellationToken);
            var (others, limit) = await quota.UsageBesideAsync(connection, transaction, caller.UserId, recordingId, cancellationToken);
            var plan = new LiveLimits(options.Value.MaxBlocks, recordingsOptions.Value.MaxFileSizeBytes, others, limit).Plan(staged);
            var contactAt = await connection.ExecuteScalarAsync<DateTime?>(
                new CommandDefinition(ContactSql, new { Id = recordingId }, transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction, new AuditEntry(caller.UserId, AuditActions.RecordingReadUpload,
                AuditOutcomes.Success, recordingId, new { stagedBlocks = staged.Count, staged.Bytes }), request, cancellationToken);
            return new UploadState(recordingId, row.Status, row.Live, row.Recovered, staged.Committed, staged.Count, staged.Bytes,
                plan.Blocks.Count, plan.Bytes, plan.StoppedBy, contactAt ?? row.LastContactAt,
                (int)Math.Ceiling(options.Value.SilenceTimeout.TotalSeconds), options.Value.MaxBlocks, staged.Blocks);
        }, cancellationToken);

    /// <summary>The upload blob as the server's identity reaches it (it can list uncommitted blocks; an upload URL cannot).</summary>
    public BlockBlobClient UploadBlob(string blobName)
        => blobs.GetBlobContainerClient(storageOptions.Value.UploadsContainer).GetBlockBlobClient(blobName);

    private sealed record UploadRow(string Status, bool Live, string BlobName, bool Recovered, DateTime? LastContactAt);
}
