using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.Storage;

namespace Recorder.Core.Ingest;

public enum AcceptOutcome
{
    /// <summary>The recording awaited this blob version: now 'processing', work queued.</summary>
    Queued,

    /// <summary>The same or an older blob version than the one already taken (duplicate or out of order).</summary>
    Stale,

    /// <summary>A blob no recording awaits: queued for quarantine.</summary>
    Unknown,

    /// <summary>The awaited blob was not written by the browser's own upload (a copy, say): the recording failed.</summary>
    Refused,

    /// <summary>The recording has left the upload stage; a later write does not change it.</summary>
    Ignored,
}

/// <summary>
/// Matches a committed upload blob (a BlobCreated event, or the reconciler's stand-in for a lost one) to
/// the recording awaiting it. In one transaction the recording becomes 'processing' and its ingest message
/// goes into the outbox; the message is sent after the commit, so no worker can see it before the row.
/// </summary>
public sealed class BlobEventAcceptor(
    RecorderDataSources dataSources,
    BlobServiceClient blobs,
    IngestOutbox outbox,
    IngestQueue queue,
    IOptions<StorageOptions> storageOptions,
    ILogger<BlobEventAcceptor> logger)
{
    public const string ActorId = "ingest";

    private const string LockByBlobNameSql = """
        SELECT id AS Id, user_id AS UserId, status AS Status, blob_sequencer AS Sequencer, blob_etag AS ETag,
               media_blob_name IS NOT NULL AS ServedElsewhere
        FROM recordings WHERE blob_name = @BlobName
        FOR UPDATE
        """;

    private const string MarkProcessingSql = """
        UPDATE recordings
        SET status = 'processing', blob_etag = @ETag, blob_sequencer = @Sequencer, processing_started_at = now(),
            ingest_lease_id = NULL, ingest_lease_until = NULL
        WHERE id = @Id
        """;

    private const string RefuseSql = """
        UPDATE recordings
        SET status = 'failed', failure_code = @Code, failure_reason = @Reason, blob_etag = @ETag, blob_sequencer = @Sequencer,
            ingest_lease_id = NULL, ingest_lease_until = NULL
        WHERE id = @Id
        """;

    public async Task<AcceptOutcome> AcceptAsync(BlobCreatedEvent blobCreated, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var recording = await connection.QuerySingleOrDefaultAsync<AwaitingRecording>(new CommandDefinition(
            LockByBlobNameSql, new { blobCreated.BlobName }, transaction, cancellationToken: cancellationToken));

        (AcceptOutcome Outcome, OutboxEntry? Message, bool RemoveBlob) result;
        if (recording is null)
        {
            // Sent before commit: if queueing fails, nothing is recorded and Event Grid's retry starts over.
            await queue.SendAsync(IngestMessage.QuarantineBlob(blobCreated.BlobName, blobCreated.ETag), cancellationToken);
            result = (AcceptOutcome.Unknown, null, false);
        }
        else if (recording.Sequencer is not null && string.CompareOrdinal(blobCreated.Sequencer, recording.Sequencer) <= 0
                 || blobCreated.ETag == recording.ETag)
        {
            // An older event, or the same content announced again (same eTag): nothing new to do.
            result = (AcceptOutcome.Stale, null, false);
        }
        else if (recording.Status is "uploading" or "processing")
        {
            if (IsBrowserUpload(blobCreated.Api))
            {
                result = (AcceptOutcome.Queued, await QueueIngestAsync(connection, transaction, recording, blobCreated, cancellationToken),
                    false);
            }
            else
            {
                await RefuseAsync(connection, transaction, recording, blobCreated, cancellationToken);
                result = (AcceptOutcome.Refused, null, true);
            }
        }
        else
        {
            await AuditLog.WriteSystemAsync(connection, transaction, new SystemAuditEntry(
                ActorId, recording.UserId, AuditActions.RecordingBlobRewritten, AuditOutcomes.Rejected, recording.Id,
                new { recording.Status, blobCreated.ETag, blobCreated.Api }), cancellationToken);
            logger.LogWarning("Blob of recording {RecordingId} was written again while '{Status}'; the recording is left as it is",
                recording.Id, recording.Status);
            // The recording serves the server's own copy: what an old upload URL wrote is of no use to anyone.
            result = (AcceptOutcome.Ignored, null, recording.ServedElsewhere);
        }
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("BlobCreated {EventId} for {BlobName}: {Outcome}", blobCreated.Id, blobCreated.BlobName, result.Outcome);

        if (result.RemoveBlob)
        {
            await RemoveBlobVersionAsync(blobCreated, cancellationToken);
        }
        if (result.Message is { } message)
        {
            await outbox.SendAsync(message, cancellationToken);
        }
        return result.Outcome;
    }

    /// <summary>
    /// The storage operations by which a browser uploads with its URL. Any other write of an awaited blob
    /// (CopyBlob, PutBlobFromUrl, FlushWithClose …) fails its recording: a server-side copy is not an upload.
    /// </summary>
    public static readonly IReadOnlyList<string> BrowserUploadApis = ["PutBlob", "PutBlockList"];

    public static bool IsBrowserUpload(string api) => BrowserUploadApis.Contains(api, StringComparer.Ordinal);

    private static async Task<OutboxEntry> QueueIngestAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        AwaitingRecording recording, BlobCreatedEvent blobCreated, CancellationToken cancellationToken)
    {
        // A newer commit while processing supersedes the older version: the running worker's claim on the old eTag fails and it stops.
        await connection.ExecuteAsync(
            new CommandDefinition(MarkProcessingSql, new { recording.Id, blobCreated.ETag, blobCreated.Sequencer }, transaction,
                cancellationToken: cancellationToken));
        return await IngestOutbox.AddAsync(connection, transaction,
            IngestMessage.Ingest(recording.Id, blobCreated.ETag, blobCreated.Sequencer), cancellationToken);
    }

    private async Task RefuseAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AwaitingRecording recording,
        BlobCreatedEvent blobCreated, CancellationToken cancellationToken)
    {
        var failure = IngestFailure.NotABrowserUpload(blobCreated.Api);
        await connection.ExecuteAsync(new CommandDefinition(RefuseSql, new
        {
            recording.Id,
            failure.Code,
            failure.Reason,
            blobCreated.ETag,
            blobCreated.Sequencer,
        }, transaction, cancellationToken: cancellationToken));
        await AuditLog.WriteSystemAsync(connection, transaction, new SystemAuditEntry(
            ActorId, recording.UserId, AuditActions.RecordingIngest, AuditOutcomes.Failed, recording.Id,
            new { code = failure.Code, api = blobCreated.Api }), cancellationToken);
        logger.LogWarning("Recording {RecordingId} refused: its blob was written by {Api}, not by an upload", recording.Id,
            blobCreated.Api);
    }

    private async Task RemoveBlobVersionAsync(BlobCreatedEvent blobCreated, CancellationToken cancellationToken)
    {
        try
        {
            await blobs.GetBlobContainerClient(storageOptions.Value.UploadsContainer).GetBlobClient(blobCreated.BlobName).DeleteAsync(
                DeleteSnapshotsOption.IncludeSnapshots, new BlobRequestConditions { IfMatch = new ETag(blobCreated.ETag) },
                cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status is 404 or 412)
        {
            // Gone already, or written again since: the newer write has an event of its own.
        }
    }

    private sealed record AwaitingRecording(long Id, string UserId, string Status, string? Sequencer, string? ETag, bool ServedElsewhere);
}
