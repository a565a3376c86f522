using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.Privacy;
using Recorder.Core.Storage;

namespace Recorder.Core.Ingest;

/// <summary>
/// Blobs in the uploads container that no recording awaits: moved to the dead-letter container under
/// <c>quarantine/</c> (or deleted, <see cref="IngestOptions.Quarantine"/>), or deleted outright when their
/// owner's recorder data was erased.
/// </summary>
public sealed class UploadQuarantine(
    RecorderDataSources dataSources,
    BlobServiceClient blobs,
    IOptions<IngestOptions> ingestOptions,
    IOptions<StorageOptions> storageOptions,
    ILogger<UploadQuarantine> logger)
{
    private const string ExistsSql = "SELECT EXISTS (SELECT 1 FROM recordings WHERE blob_name = @BlobName)";

    public async Task QuarantineAsync(string blobName, string eTag, CancellationToken cancellationToken)
    {
        bool erased;
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        {
            if (await connection.ExecuteScalarAsync<bool>(
                new CommandDefinition(ExistsSql, new { BlobName = blobName }, cancellationToken: cancellationToken)))
            {
                logger.LogInformation("Blob {BlobName} belongs to a recording after all; not quarantined", blobName);
                return;
            }
            erased = await PrivacySubjects.IsErasedAsync(connection, blobName, cancellationToken);
        }

        var storage = storageOptions.Value;
        var source = blobs.GetBlobContainerClient(storage.UploadsContainer).GetBlobClient(blobName);
        if (erased)
        {
            await DeleteErasedAsync(source, cancellationToken);
            return;
        }
        var mode = ingestOptions.Value.Quarantine;
        try
        {
            if (mode == QuarantineMode.Move)
            {
                var target = blobs.GetBlobContainerClient(storage.DeadLetterContainer).GetBlobClient($"quarantine/{blobName}");
                var copy = await target.StartCopyFromUriAsync(source.Uri,
                    new BlobCopyFromUriOptions { SourceConditions = new BlobRequestConditions { IfMatch = new ETag(eTag) } },
                    cancellationToken);
                await copy.WaitForCompletionAsync(cancellationToken);
            }
            await source.DeleteAsync(DeleteSnapshotsOption.IncludeSnapshots, new BlobRequestConditions { IfMatch = new ETag(eTag) },
                cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status is 404 or 412)
        {
            logger.LogInformation("Unknown blob {BlobName} is gone or changed since its event; nothing to quarantine", blobName);
            return;
        }

        await AuditAsync(AuditActions.BlobQuarantine, new { blobName, mode = mode.ToString() }, cancellationToken);
        logger.LogWarning("Blob {BlobName} matched no recording and was quarantined ({QuarantineMode})", blobName, mode);
    }

    /// <summary>
    /// An upload of a user whose recorder data was erased (a URL issued before the erasure, an event delivered
    /// after it): deleted, whatever version it is, since quarantine would keep personal data. Audited without
    /// the blob's name, which holds the user id.
    /// </summary>
    private async Task DeleteErasedAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        await AuditAsync(AuditActions.BlobErasedLate, new { reason = "the owner's recorder data was erased" }, cancellationToken);
        logger.LogWarning("A blob of an erased user arrived after the erasure and was deleted");
    }

    private async Task AuditAsync(string action, object details, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await AuditLog.WriteSystemAsync(connection, transaction,
            new SystemAuditEntry(BlobEventAcceptor.ActorId, null, action, AuditOutcomes.Success, null, details), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
