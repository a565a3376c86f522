using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Alerts;
using Recorder.Core.Api;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.Links;
using Recorder.Core.Storage;

namespace Recorder.Core.Privacy;

/// <summary>
/// Erases a user's recorder data (GDPR erasure): every recording, blob (snapshots and previous versions too),
/// session, edit, export and audit entry of theirs, with the app's rows made from their recordings released as a
/// delete releases them. Runs as recorder_maintenance, every statement naming the user.
/// <para>
/// Crash-safe and resumable: an erasure row (<c>privacy_erasures</c>) knows the user from the first step until
/// storage holds nothing of theirs, so no blob is ever left that no row knows about. The steps: recordings marked
/// <c>deleting</c> (references released), storage swept, rows deleted with the receipt written in the same
/// transaction, storage swept again; then, after <see cref="PrivacyOptions.ErasureGracePeriod"/> of further sweeps
/// by the privacy sweep (ingest work already running may still write), the user id is forgotten. Any run, a
/// re-run or the sweep, carries on from where the last one stopped.
/// </para>
/// <para>
/// A legal hold on the user or on one of their recordings (GDPR Art. 17(3)(e)) refuses a new erasure, and stops
/// one whose rows are not yet deleted before its next step: it stays pending, the privacy sweep passes it over,
/// and it carries on once the hold is lifted. The user's storage alerts and user retention policy go with the rows.
/// </para>
/// </summary>
public sealed class ErasureService(
    RecorderDataSources dataSources,
    BlobServiceClient blobs,
    IOptions<StorageOptions> storageOptions,
    IOptions<PrivacyOptions> options,
    TimeProvider time,
    ILogger<ErasureService> logger)
{
    public const string ActorId = "privacy";

    /// <summary>First key of the session advisory lock one erasure's run holds ("priv"); the second is the erasure id.</summary>
    public const int LockClass = 0x70726976;

    private const string QuarantinePrefix = "quarantine/";
    private const int MaxSweepPasses = 3;
    private const long LargestDeadLetterBlob = 1024 * 1024;

    private static readonly JsonSerializerOptions CountsJson = new(JsonSerializerDefaults.Web);

    private const string Columns = """
        id AS Id, user_id AS UserId, status AS Status, subject_hash AS SubjectHash, requested_by AS RequestedBy,
        requested_at AS RequestedAt, rows_deleted_at AS RowsDeletedAt, finish_after AS FinishAfter, completed_at AS CompletedAt, counts::text AS Counts
        """;

    private const string OpenSql = $"""
        INSERT INTO privacy_erasures (user_id, subject_hash, requested_by) VALUES (@UserId, @SubjectHash, @RequestedBy)
        ON CONFLICT (user_id) WHERE status <> 'completed' DO NOTHING
        RETURNING {Columns}
        """;

    private const string OpenOneSql = $"SELECT {Columns} FROM privacy_erasures WHERE user_id = @UserId AND status <> 'completed'";

    private const string ByIdSql = $"SELECT {Columns} FROM privacy_erasures WHERE id = @Id";

    // A recording already 'deleting' is past saving (legal-hold-set says so); the lifecycle keeps a held user's.
    private const string LegalHoldSql = """
        SELECT CASE
          WHEN EXISTS (SELECT 1 FROM user_legal_holds WHERE user_id = @UserId) THEN 'user'
          WHEN EXISTS (SELECT 1 FROM recordings WHERE user_id = @UserId AND legal_hold AND status <> 'deleting') THEN 'recording'
        END
        """;

    // Pending erasures of held users wait for the hold to be lifted; finishing ones only clear late writes.
    private const string OpenErasuresSql = """
        SELECT e.id FROM privacy_erasures e
        WHERE e.status <> 'completed'
          AND NOT (e.status = 'pending'
                   AND (EXISTS (SELECT 1 FROM user_legal_holds h WHERE h.user_id = e.user_id)
                        OR EXISTS (SELECT 1 FROM recordings r WHERE r.user_id = e.user_id AND r.legal_hold AND r.status <> 'deleting')))
        ORDER BY e.id LIMIT @BatchSize
        """;

    private const string NextToMarkSql = """
        SELECT id FROM recordings WHERE user_id = @UserId AND status <> 'deleting'
        ORDER BY id LIMIT @BatchSize FOR UPDATE
        """;

    private const string MarkSql = "UPDATE recordings SET status = 'deleting' WHERE id = ANY(@Ids)";

    private const string LiveRecordingsSql = "SELECT id FROM recordings WHERE user_id = @UserId AND status <> 'deleting'";

    // Sessions of the erased recordings and those linked to none; a session of a recording made after the erasure stays.
    private const string DeleteRowsSql = """
        WITH erased AS (
          SELECT id FROM recordings WHERE user_id = @UserId AND status = 'deleting' FOR UPDATE
        ), sessions AS (
          DELETE FROM recording_sessions
          WHERE user_id = @UserId AND (recording_id IS NULL OR recording_id IN (SELECT id FROM erased))
          RETURNING 1
        ), edits AS (
          DELETE FROM recording_edits WHERE user_id = @UserId AND recording_id IN (SELECT id FROM erased) RETURNING 1
        ), exports AS (
          DELETE FROM privacy_exports WHERE user_id = @UserId RETURNING 1
        ), alerts AS (
          DELETE FROM alerts WHERE kind = @StorageUsageKind AND subject = @UserId RETURNING 1
        ), policies AS (
          DELETE FROM retention_policies WHERE user_id = @UserId RETURNING 1
        )
        SELECT (SELECT count(*) FROM erased)::int AS Recordings, (SELECT count(*) FROM sessions)::int AS Sessions,
               (SELECT count(*) FROM edits)::int AS Edits, (SELECT count(*) FROM exports)::int AS Exports,
               (SELECT count(*) FROM alerts)::int AS Alerts, (SELECT count(*) FROM policies)::int AS RetentionPolicies
        """;

    private const string DeleteRecordingsSql = "DELETE FROM recordings WHERE user_id = @UserId AND status = 'deleting'";

    // Entries about the user, by the user, or naming one of their blobs (quarantine and purge entries carry blobName).
    private const string DeleteAuditSql = """
        DELETE FROM audit_log
        WHERE user_id = @UserId OR (actor_type = 'user' AND actor_id = @UserId) OR starts_with(details ->> 'blobName', @Folder || '/')
        """;

    private const string RowsDeletedSql = """
        UPDATE privacy_erasures SET status = 'finishing', rows_deleted_at = now(), finish_after = now() + @ErasureGracePeriod, counts = @Counts::jsonb
        WHERE id = @Id AND status = 'pending'
        """;

    private const string ReceiptSql = """
        INSERT INTO audit_log (actor_type, actor_id, user_id, action, outcome, details)
        VALUES ('system', @ActorId, NULL, @Action, 'success', @Details::jsonb)
        """;

    // A refusal is audited about the user (the user's own request, or the operator's as the system); nothing else is written.
    private const string RefusedSql = """
        INSERT INTO audit_log (actor_type, actor_id, user_id, action, outcome, details)
        VALUES (CASE WHEN @RequestedBy = 'user' THEN 'user' ELSE 'system' END, CASE WHEN @RequestedBy = 'user' THEN @UserId ELSE @ActorId END,
                @UserId, @Action, 'rejected', jsonb_build_object('reason', 'legal hold', 'legalHold', @Held::text, 'requestedBy', @RequestedBy::text))
        """;

    private const string CountsSql = "UPDATE privacy_erasures SET counts = @Counts::jsonb WHERE id = @Id";

    private const string CompleteSql = """
        UPDATE privacy_erasures SET status = 'completed', user_id = NULL, completed_at = now(), counts = @Counts::jsonb
        WHERE id = @Id AND status = 'finishing' AND finish_after <= now()
        """;

    /// <summary>
    /// Starts the user's erasure, or carries on with the one already open, as far as it can go now; a 409 failure,
    /// with nothing changed, while the user or one of their recordings is under a legal hold.
    /// </summary>
    /// <param name="requestedBy"><see cref="ErasureReceipt.ByUser"/> (the API) or <see cref="ErasureReceipt.ByOperator"/> (the CLI).</param>
    public async Task<ServiceResult<ErasureReceipt>> EraseAsync(string userId, string requestedBy, IProgress<PrivacyProgress>? progress, CancellationToken cancellationToken)
    {
        ErasureRow erasure;
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        {
            if (await LegalHoldAsync(connection, null, userId, cancellationToken) is { } held)
            {
                await connection.ExecuteAsync(new CommandDefinition(RefusedSql, new { RequestedBy = requestedBy, UserId = userId, ActorId, Action = AuditActions.PrivacyErasure, Held = held }, cancellationToken: cancellationToken));
                logger.LogInformation("Erasure refused: the user's recorder data is under a legal hold ({LegalHold})", held);
                return UnderLegalHold(held);
            }
            var subjectHash = await PrivacySubjects.HashAsync(connection, null, PrivacySubjects.Folder(userId), cancellationToken);
            erasure = await connection.QuerySingleOrDefaultAsync<ErasureRow>(new CommandDefinition(OpenSql, new { UserId = userId, SubjectHash = subjectHash, RequestedBy = requestedBy }, cancellationToken: cancellationToken))
                ?? await connection.QuerySingleAsync<ErasureRow>(new CommandDefinition(OpenOneSql, new { UserId = userId }, cancellationToken: cancellationToken));
        }
        var receipt = await ContinueAsync(erasure, progress, cancellationToken);
        if (receipt.Status == ErasureReceipt.Pending)
        {
            // A hold placed while this run went on stopped it (else storage was unreachable).
            await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
            if (await LegalHoldAsync(connection, null, userId, cancellationToken) is { } heldNow)
            {
                return UnderLegalHold(heldNow);
            }
        }
        return receipt;
    }

    /// <summary>What holds the user's recorder data: "user", "recording" (one of theirs), or null.</summary>
    private static Task<string?> LegalHoldAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string userId, CancellationToken cancellationToken)
        => connection.ExecuteScalarAsync<string?>(new CommandDefinition(LegalHoldSql, new { UserId = userId }, transaction, cancellationToken: cancellationToken));

    private static Failure UnderLegalHold(string held)
        => new(FailureKind.Conflict,
            (held == "user" ? "This user's recorder data is under a legal hold" : "A recording of this user is under a legal hold")
            + ", so it cannot be erased while the hold lasts (GDPR Art. 17(3)(e)).",
            Extensions: new Dictionary<string, object?> { ["legalHold"] = held });

    /// <summary>The privacy sweep's part: every open erasure carried on (resumed, swept again, or completed).</summary>
    public async Task<int> ContinueOpenAsync(CancellationToken cancellationToken)
    {
        List<long> open;
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        {
            open = (await connection.QueryAsync<long>(new CommandDefinition(
                OpenErasuresSql, new { options.Value.BatchSize }, cancellationToken: cancellationToken))).AsList();
        }
        foreach (var id in open)
        {
            await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
            var erasure = await connection.QuerySingleOrDefaultAsync<ErasureRow>(new CommandDefinition(ByIdSql, new { Id = id }, cancellationToken: cancellationToken));
            if (erasure is { UserId: not null })
            {
                await ContinueAsync(erasure, progress: null, cancellationToken);
            }
        }
        return open.Count;
    }

    private async Task<ErasureReceipt> ContinueAsync(ErasureRow erasure, IProgress<PrivacyProgress>? progress, CancellationToken cancellationToken)
    {
        // One run per erasure at a time.
        await using var runLock = await RunLock.TryTakeAsync(dataSources.Maintenance, LockClass, erasure.Id, cancellationToken);
        if (runLock is null)
        {
            logger.LogInformation("Erasure {ErasureId} is being run elsewhere", erasure.Id);
            return erasure.ToReceipt();
        }
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        {
            // Re-read under the lock: another run may have moved it on meanwhile.
            erasure = await connection.QuerySingleAsync<ErasureRow>(new CommandDefinition(ByIdSql, new { erasure.Id }, cancellationToken: cancellationToken));
        }
        if (erasure.UserId is not { } userId)
        {
            return erasure.ToReceipt();
        }
        var counts = erasure.ReadCounts();
        var steps = new Steps(progress, erasure.Status == ErasureReceipt.Pending ? 4 : 2);
        try
        {
            if (erasure.Status == ErasureReceipt.Pending)
            {
                // Each step first looks for a legal hold; one stops the erasure where it is, still pending.
                if (!await MarkRecordingsAsync(userId, counts, cancellationToken))
                {
                    return await StopForLegalHoldAsync(erasure, counts, cancellationToken);
                }
                steps.Next("recordings marked for erasure");
                await using (var holdConnection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
                {
                    if (await LegalHoldAsync(holdConnection, null, userId, cancellationToken) is not null)
                    {
                        return await StopForLegalHoldAsync(erasure, counts, cancellationToken);
                    }
                }
                await SweepStorageAsync(userId, counts, cancellationToken);
                steps.Next("storage swept");
                if (!await DeleteRowsAsync(erasure, userId, counts, cancellationToken))
                {
                    return await StopForLegalHoldAsync(erasure, counts, cancellationToken);
                }
                steps.Next("rows deleted, receipt written");
            }
            // Again after the rows: a blob committed meanwhile (a late upload of a recording being erased).
            await SweepStorageAsync(userId, counts, cancellationToken);
            steps.Next("storage swept again");
            await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
            var completed = await connection.ExecuteAsync(new CommandDefinition(CompleteSql, new { erasure.Id, Counts = Json(counts) }, cancellationToken: cancellationToken));
            if (completed == 0)
            {
                await connection.ExecuteAsync(new CommandDefinition(CountsSql, new { erasure.Id, Counts = Json(counts) }, cancellationToken: cancellationToken));
            }
            erasure = await connection.QuerySingleAsync<ErasureRow>(new CommandDefinition(ByIdSql, new { erasure.Id }, cancellationToken: cancellationToken));
        }
        catch (Exception exception) when (exception is RequestFailedException or AggregateException)
        {
            // Storage unreachable (AggregateException: the SDK's retries all failed): nothing is lost track of,
            // the erasure row still names the user; a re-run or the privacy sweep carries on.
            logger.LogWarning(exception, "Erasure {ErasureId} could not reach storage; it stays '{Status}' for the next run", erasure.Id, erasure.Status);
            await using var connection = await dataSources.Maintenance.OpenConnectionAsync(CancellationToken.None);
            return (await connection.QuerySingleAsync<ErasureRow>(new CommandDefinition(ByIdSql, new { erasure.Id }, cancellationToken: CancellationToken.None))).ToReceipt();
        }
        logger.LogInformation("Erasure {ErasureId} is {Status}", erasure.Id, erasure.Status);
        return erasure.ToReceipt();
    }

    /// <summary>The erasure stays pending with what it counted so far; the privacy sweep passes it over while the hold lasts.</summary>
    private async Task<ErasureReceipt> StopForLegalHoldAsync(ErasureRow erasure, ErasureCounts counts, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(CountsSql, new { erasure.Id, Counts = Json(counts) }, cancellationToken: cancellationToken));
        logger.LogWarning("Erasure {ErasureId} stopped: its user's recorder data is under a legal hold; it stays pending until the hold is lifted", erasure.Id);
        return (await connection.QuerySingleAsync<ErasureRow>(new CommandDefinition(ByIdSql, new { erasure.Id }, cancellationToken: cancellationToken))).ToReceipt();
    }

    /// <summary>
    /// Marks every recording of the user 'deleting' (gone for everyone) and releases the app's references, in batches.
    /// False, with the batch undone, when a legal hold turned up.
    /// </summary>
    private async Task<bool> MarkRecordingsAsync(string userId, ErasureCounts counts, CancellationToken cancellationToken)
    {
        while (true)
        {
            await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var ids = (await connection.QueryAsync<long>(new CommandDefinition(NextToMarkSql, new { UserId = userId, options.Value.BatchSize }, transaction, cancellationToken: cancellationToken))).AsList();
            // After the row locks: a recording hold set meanwhile has committed, or waits for this batch.
            if (await LegalHoldAsync(connection, transaction, userId, cancellationToken) is not null)
            {
                return false;
            }
            if (ids.Count == 0)
            {
                return true;
            }
            await connection.ExecuteAsync(new CommandDefinition(MarkSql, new { Ids = ids.ToArray() }, transaction, cancellationToken: cancellationToken));
            var released = (await RecordingReferences.ReleaseAsync(connection, transaction, ids.Select(id => (userId, id)).ToList(), cancellationToken)).Values;
            counts.ReleasedContent += released.Sum(links => links.ContentIds.Count);
            counts.ReleasedSocialPosts += released.Sum(links => links.SocialPostIds.Count);
            counts.ReleasedAiTasks += released.Sum(links => links.AiTaskIds.Count);
            await transaction.CommitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Rows go in one transaction with the receipt, which names no one: a subject hash, counts and times. False, with
    /// nothing deleted, when a legal hold turned up.
    /// </summary>
    private async Task<bool> DeleteRowsAsync(ErasureRow erasure, string userId, ErasureCounts counts, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await LegalHoldAsync(connection, transaction, userId, cancellationToken) is not null)
        {
            return false;
        }
        var deleted = await connection.QuerySingleAsync<(int Recordings, int Sessions, int Edits, int Exports, int Alerts, int RetentionPolicies)>(new CommandDefinition(
            DeleteRowsSql, new { UserId = userId, StorageUsageKind = AlertKinds.StorageUsage }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(DeleteRecordingsSql, new { UserId = userId }, transaction, cancellationToken: cancellationToken));
        counts.AuditEntries += await connection.ExecuteAsync(new CommandDefinition(
            DeleteAuditSql, new { UserId = userId, Folder = PrivacySubjects.Folder(userId) }, transaction, cancellationToken: cancellationToken));
        counts.Recordings += deleted.Recordings;
        counts.Sessions += deleted.Sessions;
        counts.Edits += deleted.Edits;
        counts.Exports += deleted.Exports;
        counts.Alerts += deleted.Alerts;
        counts.RetentionPolicies += deleted.RetentionPolicies;
        await connection.ExecuteAsync(new CommandDefinition(RowsDeletedSql, new { erasure.Id, options.Value.ErasureGracePeriod, Counts = Json(counts) }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(ReceiptSql, new
        {
            ActorId,
            Action = AuditActions.PrivacyErasure,
            Details = JsonSerializer.Serialize(new
            {
                erasureId = erasure.Id,
                erasure.SubjectHash,
                erasure.RequestedBy,
                requestedAt = new DateTimeOffset(erasure.RequestedAt, TimeSpan.Zero),
                rowsDeletedAt = time.GetUtcNow(),
                counts,
            }, CountsJson),
        }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Deletes every blob of the user's in every container (snapshots and previous versions too) except those of
    /// recordings made after the erasure, repeating while a pass still finds something (deleting a current version
    /// on an account with versioning leaves a previous version behind).
    /// </summary>
    private async Task SweepStorageAsync(string userId, ErasureCounts counts, CancellationToken cancellationToken)
    {
        HashSet<long> live;
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        {
            live = [.. await connection.QueryAsync<long>(new CommandDefinition(LiveRecordingsSql, new { UserId = userId }, cancellationToken: cancellationToken))];
        }
        var folder = PrivacySubjects.Folder(userId);
        var storage = storageOptions.Value;
        for (var pass = 1; ; pass++)
        {
            var tally = new SweepTally(counts);
            foreach (var container in new[] { storage.UploadsContainer, storage.ProcessedContainer, storage.ThumbnailsContainer, storage.ExportsContainer })
            {
                await SweepPrefixAsync(container, $"{folder}/", live, tally, cancellationToken);
            }
            await SweepPrefixAsync(storage.DeadLetterContainer, $"{QuarantinePrefix}{folder}/", live, tally, cancellationToken);
            await SweepDeadLetteredEventsAsync(folder, live, tally, cancellationToken);
            if (tally.Deleted == 0 || pass == MaxSweepPasses)
            {
                // What storage still keeps as soft-deleted, as of the last look.
                counts.SoftDeletedLeftToRetention = tally.SoftDeleted;
                return;
            }
        }
    }

    private async Task SweepPrefixAsync(string containerName, string prefix, HashSet<long> live, SweepTally tally, CancellationToken cancellationToken)
    {
        var container = blobs.GetBlobContainerClient(containerName);
        await foreach (var item in ListAsync(container, prefix, cancellationToken))
        {
            // {prefix}{recordingId}/…: blobs of a recording made after the erasure stay; exports and the rest go.
            var rest = item.Name[prefix.Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash > 0 && long.TryParse(rest[..slash], NumberStyles.None, CultureInfo.InvariantCulture, out var recordingId) && live.Contains(recordingId))
            {
                continue;
            }
            await DeleteAsync(container.GetBlobClient(item.Name), item, tally, cancellationToken);
        }
    }

    /// <summary>Event Grid's dead-lettered events are small JSON files naming the blob: those naming one of the user's go.</summary>
    private async Task SweepDeadLetteredEventsAsync(string folder, HashSet<long> live, SweepTally tally, CancellationToken cancellationToken)
    {
        var container = blobs.GetBlobContainerClient(storageOptions.Value.DeadLetterContainer);
        var marker = $"/blobs/{folder}/";
        await foreach (var item in ListAsync(container, prefix: null, cancellationToken))
        {
            if (item.Name.StartsWith(QuarantinePrefix, StringComparison.Ordinal) || item.Deleted || item.Properties.ContentLength is not (> 0 and <= LargestDeadLetterBlob))
            {
                continue;
            }
            var blob = container.GetBlobClient(item.Name);
            if (item.Snapshot is { } snapshot)
            {
                blob = blob.WithSnapshot(snapshot);
            }
            else if (item is { VersionId: { } version, IsLatestVersion: not true })
            {
                blob = blob.WithVersion(version);
            }
            string text;
            try
            {
                text = (await blob.DownloadContentAsync(cancellationToken)).Value.Content.ToString();
            }
            catch (RequestFailedException exception) when (exception.Status == 404)
            {
                continue;
            }
            if (!text.Contains(marker, StringComparison.Ordinal))
            {
                continue;
            }
            // An event about a recording made after the erasure stays (the operator may still re-post it).
            var named = Regex.Matches(text, $"{Regex.Escape(marker)}(\\d+)/")
                .Select(match => long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : -1)
                .ToList();
            if (named.Count > 0 && named.All(live.Contains))
            {
                continue;
            }
            await DeleteAsync(container.GetBlobClient(item.Name), item, tally, cancellationToken);
        }
    }

    /// <summary>Lists with snapshots, previous versions and soft-deleted blobs where the service supports them.</summary>
    private async IAsyncEnumerable<BlobItem> ListAsync(BlobContainerClient container, string? prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Azurite, and accounts without versioning, refuse or ignore some states: fall back to fewer.
        BlobStates[] tries = [BlobStates.Snapshots | BlobStates.Version | BlobStates.Deleted, BlobStates.Snapshots | BlobStates.Deleted, BlobStates.Snapshots];
        foreach (var states in tries)
        {
            var items = new List<BlobItem>();
            try
            {
                await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix, States = states }, cancellationToken))
                {
                    items.Add(item);
                }
            }
            catch (RequestFailedException exception) when (exception.Status is 400 or 501 && states != tries[^1])
            {
                logger.LogDebug("Listing {Container} with {States} is not supported here; trying fewer states", container.Name, states);
                continue;
            }
            catch (RequestFailedException exception) when (exception.Status == 404 && exception.ErrorCode == "ContainerNotFound")
            {
                yield break;
            }
            // Snapshots and previous versions first, each counted as itself; then the current blobs.
            foreach (var item in items.OrderBy(item => item.Snapshot is null && item is not { VersionId: not null, IsLatestVersion: not true } ? 1 : 0))
            {
                yield return item;
            }
            yield break;
        }
    }

    private static async Task DeleteAsync(BlobClient blob, BlobItem item, SweepTally tally, CancellationToken cancellationToken)
    {
        var counts = tally.Counts;
        if (item.Deleted)
        {
            tally.SoftDeleted++;
        }
        else if (item.Snapshot is { } snapshot)
        {
            counts.Snapshots += tally.Count((await blob.WithSnapshot(snapshot).DeleteIfExistsAsync(DeleteSnapshotsOption.None, cancellationToken: cancellationToken)).Value);
        }
        else if (item is { VersionId: { } version, IsLatestVersion: not true })
        {
            counts.Versions += tally.Count((await blob.WithVersion(version).DeleteIfExistsAsync(DeleteSnapshotsOption.None, cancellationToken: cancellationToken)).Value);
        }
        else
        {
            counts.Blobs += tally.Count((await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken)).Value);
        }
    }

    private static string Json(ErasureCounts counts) => JsonSerializer.Serialize(counts, CountsJson);

    /// <summary>One sweep pass: what it deleted (added to the erasure's counts) and the soft-deleted blobs it saw.</summary>
    private sealed class SweepTally(ErasureCounts counts)
    {
        public ErasureCounts Counts => counts;
        public int Deleted { get; private set; }
        public int SoftDeleted { get; set; }

        public int Count(bool deleted)
        {
            Deleted += deleted ? 1 : 0;
            return deleted ? 1 : 0;
        }
    }

    /// <summary>Progress in whole steps of one run.</summary>
    private sealed class Steps(IProgress<PrivacyProgress>? progress, int total)
    {
        private int done;

        public void Next(string item) => progress?.Report(new PrivacyProgress(++done, total, item));
    }

    private sealed record ErasureRow(long Id, string? UserId, string Status, string SubjectHash, string RequestedBy,
        DateTime RequestedAt, DateTime? RowsDeletedAt, DateTime? FinishAfter, DateTime? CompletedAt, string Counts)
    {
        public ErasureCounts ReadCounts() => JsonSerializer.Deserialize<ErasureCounts>(Counts, CountsJson) ?? new ErasureCounts();

        public ErasureReceipt ToReceipt() => new(Id, Status, SubjectHash, RequestedBy, Utc(RequestedAt), UtcOrNull(RowsDeletedAt), UtcOrNull(FinishAfter), UtcOrNull(CompletedAt), ReadCounts());

        private static DateTimeOffset Utc(DateTime value) => new(value, TimeSpan.Zero);

        private static DateTimeOffset? UtcOrNull(DateTime? value) => value is { } v ? Utc(v) : null;
    }
}
