using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Api;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.Security;
using Recorder.Core.Storage;
using Recorder.Core.Uploads.Sas;

namespace Recorder.Core.Privacy;

/// <summary>An export as its owner sees it; <see cref="DownloadUrl"/> only while it is ready.</summary>
public sealed record ExportView(
    long Id,
    string Status,
    DateTimeOffset RequestedAt,
    DateTimeOffset? CompletedAt,
    DateTimeOffset ExpiresAt,
    long? SizeBytes,
    string? FailureReason,
    Uri? DownloadUrl,
    DateTimeOffset? DownloadUrlExpiresAt);

/// <summary>The export asked for, and whether this request created it or found one already in the making.</summary>
public sealed record ExportRequested(ExportView Export, bool Created);

/// <summary>
/// Data exports (GDPR access and portability): a request records a pending export and queues its build; the
/// worker streams the zip into the exports container (<see cref="PrivacyExportWriter"/>); its owner reads it
/// through a short-lived SAS until it expires and the privacy sweep deletes it.
/// </summary>
public sealed class PrivacyExportService(
    RecorderDataSources dataSources,
    BlobServiceClient blobs,
    IBlobSasIssuer sas,
    PrivacyExportQueue queue,
    PrivacyExportWriter writer,
    IOptions<PrivacyOptions> options,
    IOptions<StorageOptions> storageOptions,
    IOptions<SasOptions> sasOptions,
    TimeProvider time,
    ILogger<PrivacyExportService> logger)
{
    public const string WorkerActorId = "privacy-export";

    private const string Columns = """
        id AS Id, user_id AS UserId, status AS Status, blob_name AS BlobName, size_bytes AS SizeBytes, failure_reason AS FailureReason,
        requested_at AS RequestedAt, completed_at AS CompletedAt, expires_at AS ExpiresAt
        """;

    // Under row-level security: the caller's own rows only.
    private const string InsertSql = $"""
        INSERT INTO privacy_exports (user_id, expires_at) VALUES (@UserId, now() + @ExportLifetime)
        ON CONFLICT (user_id) WHERE status IN ('pending', 'building') DO NOTHING
        RETURNING {Columns}
        """;

    private const string InTheMakingSql = $"SELECT {Columns} FROM privacy_exports WHERE status IN ('pending', 'building')";

    private const string GetSql = $"SELECT {Columns} FROM privacy_exports WHERE id = @Id";

    // One worker at a time; a building export whose worker died is taken over once its lease ran out.
    private const string ClaimSql = """
        UPDATE privacy_exports SET status = 'building', attempts = attempts + 1, lease_until = now() + @ExportLease,
            storage_key = coalesce(storage_key, replace(gen_random_uuid()::text, '-', ''))
        WHERE id = @Id AND (status = 'pending' OR (status = 'building' AND lease_until < now()))
        RETURNING user_id AS UserId, storage_key AS StorageKey
        """;

    private const string ExistsSql = "SELECT EXISTS (SELECT 1 FROM privacy_exports WHERE id = @Id)";

    private const string ReadySql = """
        UPDATE privacy_exports
        SET status = 'ready', blob_name = @BlobName, size_bytes = @SizeBytes, completed_at = now(),
            expires_at = now() + @ExportLifetime, lease_until = NULL
        WHERE id = @Id AND status = 'building'
        """;

    private const string ReleaseSql = "UPDATE privacy_exports SET status = 'pending', " +
        "lease_until = NULL WHERE id = @Id AND status = 'building'";

    public async Task<ExportRequested> RequestAsync(Caller caller, RequestInfo request, CancellationToken cancellationToken)
    {
        var (row, created) = await dataSources.App.RunAsUserAsync(caller.UserId, async (connection, transaction) =>
        {
            var inserted = await connection.QuerySingleOrDefaultAsync<ExportRow>(new CommandDefinition(
                InsertSql, new { caller.UserId, options.Value.ExportLifetime }, transaction, cancellationToken: cancellationToken));
            var export = inserted
                ?? await connection.QuerySingleAsync<ExportRow>(
                    new CommandDefinition(InTheMakingSql, transaction: transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction, new AuditEntry(
                caller.UserId, AuditActions.PrivacyExportRequest, AuditOutcomes.Success,
                Details: new { exportId = export.Id, inProgressAlready = inserted is null }), request, cancellationToken);
            if (inserted is not null)
            {
                // Sent before commit: if queueing fails, no export is left pending that no worker will build.
                await queue.SendAsync(new PrivacyExportMessage(inserted.Id), cancellationToken);
            }
            return (export, inserted is not null);
        }, cancellationToken);
        if (created)
        {
            logger.LogInformation("Export {ExportId} requested by user {UserId}", row.Id, caller.UserId);
        }
        return new ExportRequested(await ViewAsync(row, cancellationToken), created);
    }

    public async Task<ServiceResult<ExportView>> GetAsync(Caller caller, long id, RequestInfo request, CancellationToken cancellationToken)
    {
        var row = await dataSources.App.RunAsUserAsync(caller.UserId, async (connection, transaction) =>
        {
            var found = await connection.QuerySingleOrDefaultAsync<ExportRow>(
                new CommandDefinition(GetSql, new { Id = id }, transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction, new AuditEntry(caller.UserId, AuditActions.PrivacyExportRead,
                found is null ? AuditOutcomes.NotFound : AuditOutcomes.Success, Details: new { exportId = id }),
                request, cancellationToken);
            return found;
        }, cancellationToken);
        return row is null ? Failure.NotFound($"Export {id} does not exist.") : await ViewAsync(row, cancellationToken);
    }

    /// <summary>
    /// The worker: claims the export, streams the zip into <c>{folder}/exports/{key}/{id}.zip</c> of the exports container
    /// (<c>key</c>: the export's random part, so no zip's name follows from its sequential id),
    /// then marks it ready. A failure releases it for the queue's retry; duplicates find it taken or done.
    /// </summary>
    public async Task BuildAsync(PrivacyExportMessage message, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        (string UserId, string StorageKey)? claimed;
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        {
            claimed = await connection.QuerySingleOrDefaultAsync<(string, string)?>(
                new CommandDefinition(ClaimSql, new { Id = message.ExportId, settings.ExportLease }, cancellationToken: cancellationToken));
            if (claimed is null)
            {
                if (!await connection.ExecuteScalarAsync<bool>(
                    new CommandDefinition(ExistsSql, new { Id = message.ExportId }, cancellationToken: cancellationToken)))
                {
                    // Expired and deleted, or erased: nothing to build.
                    logger.LogInformation("Export {ExportId} no longer exists; message dropped", message.ExportId);
                    return;
                }
                logger.LogInformation("Export {ExportId} is built or being built elsewhere; message dropped", message.ExportId);
                return;
            }
        }

        var (userId, storageKey) = claimed.Value;
        var blob = blobs.GetBlobContainerClient(storageOptions.Value.ExportsContainer)
            .GetBlockBlobClient($"{PrivacySubjects.Folder(userId)}/exports/{storageKey}/{message.ExportId}.zip");
        ExportSummary summary;
        try
        {
            await using (var output = await blob.OpenWriteAsync(true, new BlockBlobOpenWriteOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/zip",
                    ContentDisposition = $"attachment; filename=\"recordings-export-{message.ExportId}.zip\"" },
            }, cancellationToken))
            {
                summary = await writer.WriteAsync(userId, output, WorkerActorId, message.ExportId, progress: null, cancellationToken);
            }
        }
        catch
        {
            await using var connection = await dataSources.Maintenance.OpenConnectionAsync(CancellationToken.None);
            await connection.ExecuteAsync(
                new CommandDefinition(ReleaseSql, new { Id = message.ExportId }, cancellationToken: CancellationToken.None));
            throw;
        }

        var size = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.ContentLength;
        int updated;
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        {
            updated = await connection.ExecuteAsync(
                new CommandDefinition(ReadySql,
                    new { Id = message.ExportId, BlobName = blob.Name, SizeBytes = size, settings.ExportLifetime },
                    cancellationToken: cancellationToken));
        }
        if (updated == 0)
        {
            // Failed by the sweep or erased meanwhile: the zip belongs to no row.
            await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
            logger.LogWarning("Export {ExportId} was failed or removed while being built; its zip was deleted", message.ExportId);
            return;
        }
        logger.LogInformation("Export {ExportId} ready: {Files} files, {Bytes} bytes", message.ExportId, summary.Files, size);
    }

    private async Task<ExportView> ViewAsync(ExportRow row, CancellationToken cancellationToken)
    {
        Uri? url = null;
        DateTimeOffset? urlExpiresAt = null;
        var now = time.GetUtcNow();
        var expiresAt = new DateTimeOffset(row.ExpiresAt, TimeSpan.Zero);
        if (row is { Status: "ready", BlobName: { } blobName } && expiresAt > now)
        {
            // Never beyond the export's own end: the sweep deletes the blob then.
            urlExpiresAt = Min(now + sasOptions.Value.ReadUrlLifetime, expiresAt);
            url = await sas.CreateReadUriAsync(storageOptions.Value.ExportsContainer, blobName, urlExpiresAt.Value, cancellationToken);
        }
        return new ExportView(row.Id, row.Status, new DateTimeOffset(row.RequestedAt, TimeSpan.Zero),
            row.CompletedAt is { } completedAt ? new DateTimeOffset(completedAt, TimeSpan.Zero) : null,
            expiresAt, row.SizeBytes, row.FailureReason, url, urlExpiresAt);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    // timestamptz arrives as a UTC DateTime.
    private sealed record ExportRow(long Id, string UserId, string Status, string? BlobName, long? SizeBytes, string? FailureReason,
        DateTime RequestedAt, DateTime? CompletedAt, DateTime ExpiresAt);
}
