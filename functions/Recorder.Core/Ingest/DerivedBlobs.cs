using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.Lifecycle;
using Recorder.Core.Storage;

namespace Recorder.Core.Ingest;

/// <summary>
/// A blob ingest derives, in the processed or the thumbnails container; or the upload of a recording that failed, which
/// the ledger keeps for its grace period (<see cref="DerivedBlobs.KeepFailedUploadAsync"/>).
/// </summary>
public sealed record DerivedBlob(string Container, string BlobName)
{
    public const string Processed = "processed";
    public const string Thumbnails = "thumbnails";
    public const string Uploads = "uploads";
}

/// <summary>
/// The ledger of derived blobs (derived_blobs): each is recorded before it is written, its entry dropped when
/// a recording starts serving it, and whatever is still recorded after its time and referenced by no
/// recording is removed by <see cref="SweepAsync"/>. So a crash between writing a blob and the row that
/// names it, a lost race, or a replaced media copy never leaves a blob nobody knows of. A failed recording's upload
/// goes the same way once its grace period is over, unless the recording is held or no longer failed.
/// </summary>
public sealed class DerivedBlobs(
    RecorderDataSources dataSources, BlobServiceClient blobs, IOptions<StorageOptions> storageOptions, ILogger<DerivedBlobs> logger)
{
    private const int SweepBatchSize = 200;

    private const string RecordSql = """
        INSERT INTO derived_blobs (container, blob_name, recording_id, remove_after)
        SELECT unnest(@Containers), unnest(@BlobNames), @RecordingId, now() + @KeepFor
        ON CONFLICT (container, blob_name) DO UPDATE SET remove_after = greatest(derived_blobs.remove_after, excluded.remove_after)
        """;

    // Recorded once: a later pass (reconciliation) must not push a failed upload's removal back.
    private const string KeepFailedUploadSql = """
        INSERT INTO derived_blobs (container, blob_name, recording_id, remove_after)
        VALUES ('uploads', @BlobName, @RecordingId, now() + @KeepFor)
        ON CONFLICT (container, blob_name) DO NOTHING
        """;

    private const string ForgetSql = """
        DELETE FROM derived_blobs WHERE (container, blob_name) IN (SELECT unnest(@Containers), unnest(@BlobNames))
        """;

    private const string OfRecordingsSql = """
        SELECT recording_id AS RecordingId, container AS Container, blob_name AS BlobName FROM derived_blobs WHERE recording_id = ANY(@Ids)
        """;

    // SKIP LOCKED: an entry a worker is adopting right now is its business. A failed upload stays while its recording
    // is held or has left 'failed'.
    private const string DueSql = """
        SELECT d.container AS Container, d.blob_name AS BlobName, d.recording_id AS RecordingId,
               (SELECT user_id FROM recordings r WHERE r.id = d.recording_id) AS UserId
        FROM derived_blobs d
        WHERE d.remove_after < now()
          AND NOT EXISTS (SELECT 1 FROM recordings r
                          WHERE r.id = d.recording_id
                            AND (r.status <> 'deleting' AND (r.media_blob_name = d.blob_name OR r.thumbnail_blob_name = d.blob_name)
                                 OR d.container = 'uploads'
                                    AND (r.status NOT IN ('failed', 'deleting') OR recorder_recording_held(r))))
        ORDER BY d.remove_after
        LIMIT @BatchSize
        FOR UPDATE OF d SKIP LOCKED
        """;

    private sealed record Due(string Container, string BlobName, long RecordingId, string? UserId);

    /// <summary>Records blobs about to be written (own transaction: the entry must exist even if the writer dies).</summary>
    public async Task RecordAsync(
        long recordingId, IReadOnlyList<DerivedBlob> derived, TimeSpan keepFor, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await ScheduleRemovalAsync(connection, null, recordingId, derived, keepFor, cancellationToken);
    }

    /// <summary>Records blobs for removal once <paramref name="keepFor"/> has passed, unless a recording serves them then.</summary>
    public static Task ScheduleRemovalAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long recordingId,
        IReadOnlyList<DerivedBlob> derived, TimeSpan keepFor, CancellationToken cancellationToken)
        => connection.ExecuteAsync(new CommandDefinition(RecordSql, new
        {
            Containers = derived.Select(blob => blob.Container).ToArray(),
            BlobNames = derived.Select(blob => blob.BlobName).ToArray(),
            RecordingId = recordingId,
            KeepFor = keepFor,
        }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// The upload blob of a recording that failed, for removal once <paramref name="keepFor"/> has passed (zero: for a
    /// refusal whose blob is deleted at once, the entry is the retry if that delete fails). Recorded once.
    /// </summary>
    public static Task KeepFailedUploadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long recordingId,
        string blobName, TimeSpan keepFor, CancellationToken cancellationToken)
        => connection.ExecuteAsync(new CommandDefinition(KeepFailedUploadSql,
            new { BlobName = blobName, RecordingId = recordingId, KeepFor = keepFor }, transaction,
            cancellationToken: cancellationToken));

    /// <summary>
    /// In the transaction that makes a recording serve them: drops their entries. False when an entry is gone,
    /// i.e. the sweep removed the blob (its writer outlived its time): the caller must not reference it.
    /// </summary>
    public static async Task<bool> AdoptAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<DerivedBlob> derived, CancellationToken cancellationToken)
        => await ForgetAsync(connection, transaction, derived, cancellationToken) == derived.Count;

    /// <summary>
    /// What the ledger holds for these recordings (a replaced media copy kept for its read URLs, an unfinished attempt's blobs).
    /// </summary>
    public async Task<ILookup<long, DerivedBlob>> OfRecordingsAsync(
        IReadOnlyCollection<long> recordingIds, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        var entries = await connection.QueryAsync<(long RecordingId, string Container, string BlobName)>(new CommandDefinition(
            OfRecordingsSql, new { Ids = recordingIds.ToArray() }, cancellationToken: cancellationToken));
        return entries.ToLookup(entry => entry.RecordingId, entry => new DerivedBlob(entry.Container, entry.BlobName));
    }

    /// <summary>Drops the entries of blobs the caller has removed.</summary>
    public async Task ForgetAsync(IReadOnlyList<DerivedBlob> removed, CancellationToken cancellationToken)
    {
        if (removed.Count == 0)
        {
            return;
        }
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await ForgetAsync(connection, null, removed, cancellationToken);
    }

    public BlobClient Client(DerivedBlob derived)
        => blobs.GetBlobContainerClient(derived.Container switch
        {
            DerivedBlob.Processed => storageOptions.Value.ProcessedContainer,
            DerivedBlob.Thumbnails => storageOptions.Value.ThumbnailsContainer,
            DerivedBlob.Uploads => storageOptions.Value.UploadsContainer,
            _ => throw new ArgumentOutOfRangeException(nameof(derived), derived.Container, "Not a container of the ledger."),
        }).GetBlobClient(derived.BlobName);

    /// <summary>
    /// Removes due blobs that nothing serves, with their entries; a blob that cannot be removed now keeps its entry. Removing
    /// a failed recording's upload is audited (<c>recording.blob_cleanup</c>), in the transaction that drops its entry.
    /// </summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var removed = 0;
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        while (true)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var due = (await connection.QueryAsync<Due>(
                new CommandDefinition(DueSql, new { BatchSize = SweepBatchSize }, transaction,
                    cancellationToken: cancellationToken))).AsList();
            var gone = new List<DerivedBlob>();
            foreach (var entry in due)
            {
                var derived = new DerivedBlob(entry.Container, entry.BlobName);
                try
                {
                    var existed = (await Client(derived).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots,
                        cancellationToken: cancellationToken)).Value;
                    gone.Add(derived);
                    if (existed && entry.Container == DerivedBlob.Uploads)
                    {
                        await AuditLog.WriteSystemAsync(connection, transaction, new SystemAuditEntry(RecordingLifecycleSweeper.ActorId,
                            entry.UserId, AuditActions.RecordingBlobCleanup, AuditOutcomes.Success, entry.RecordingId,
                            new { blobName = entry.BlobName, reason = "failed upload past its grace period" }), cancellationToken);
                    }
                }
                catch (Exception exception) when (exception is RequestFailedException or AggregateException)
                {
                    logger.LogWarning(exception, "Derived blob {BlobName} could not be removed now; the next sweep retries",
                        derived.BlobName);
                }
            }
            await ForgetAsync(connection, transaction, gone, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            removed += gone.Count;
            if (due.Count < SweepBatchSize || gone.Count == 0)
            {
                return removed;
            }
        }
    }

    private static Task<int> ForgetAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<DerivedBlob> derived,
        CancellationToken cancellationToken)
        => connection.ExecuteAsync(new CommandDefinition(ForgetSql, new
        {
            Containers = derived.Select(blob => blob.Container).ToArray(),
            BlobNames = derived.Select(blob => blob.BlobName).ToArray(),
        }, transaction, cancellationToken: cancellationToken));
}
