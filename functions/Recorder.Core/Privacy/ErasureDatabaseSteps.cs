using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Alerts;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.Links;

namespace Recorder.Core.Privacy;

/// <summary>An erasure opened (or found open) for a user, or the legal hold that refused it.</summary>
internal sealed record ErasureOpening(ErasureRow? Erasure, bool Opened, string? LegalHold);

/// <summary>
/// The database steps of an erasure, as recorder_maintenance: opening it, marking the user's recordings, deleting
/// their rows with the receipt, completing it; each step adds its counts to the erasure in its own transaction.
/// </summary>
public sealed class ErasureDatabaseSteps(
    RecorderDataSources dataSources,
    IOptions<PrivacyOptions> options,
    TimeProvider time,
    ILogger<ErasureDatabaseSteps> logger)
{
    /// <summary>Opens the user's erasure or finds the one open; under a legal hold nothing is written but the audited refusal.</summary>
    /// <param name="ledgerId">A replay's: the ledger entry it re-applies (its recordings in <paramref name="ledgered"/>).</param>
    internal async Task<ErasureOpening> OpenAsync(string userId, string requestedBy, CancellationToken cancellationToken,
        Guid? ledgerId = null, long[]? ledgered = null)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        if (await LegalHoldAsync(connection, null, userId, cancellationToken) is { } held)
        {
            await connection.ExecuteAsync(
                new CommandDefinition(ErasureSql.Refused,
                    new { RequestedBy = requestedBy, UserId = userId, ErasureService.ActorId, Action = AuditActions.PrivacyErasure,
                        Held = held }, cancellationToken: cancellationToken));
            logger.LogInformation("Erasure refused: the user's recorder data is under a legal hold ({LegalHold})", held);
            return new ErasureOpening(null, false, held);
        }
        var subjectHash = await PrivacySubjects.HashAsync(connection, null, PrivacySubjects.Folder(userId), cancellationToken);
        var opened = await connection.QuerySingleOrDefaultAsync<ErasureRow>(
            new CommandDefinition(ErasureSql.Open, new
            {
                UserId = userId, SubjectHash = subjectHash, RequestedBy = requestedBy, LedgerId = ledgerId, LedgeredRecordings = ledgered,
            }, cancellationToken: cancellationToken));
        return opened is not null
            ? new ErasureOpening(opened, true, null)
            : new ErasureOpening(
                await connection.QuerySingleAsync<ErasureRow>(
                    new CommandDefinition(ErasureSql.OpenOne, new { UserId = userId }, cancellationToken: cancellationToken)), false, null);
    }

    internal async Task<ErasureRow?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ErasureRow>(
            new CommandDefinition(ErasureSql.ById, new { Id = id }, cancellationToken: cancellationToken));
    }

    internal async Task<ErasureRow?> GetByLedgerIdAsync(Guid ledgerId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ErasureRow>(
            new CommandDefinition(ErasureSql.ByLedgerId, new { LedgerId = ledgerId }, cancellationToken: cancellationToken));
    }

    /// <summary>The recordings the erasure has marked: what its ledger entry lists.</summary>
    internal async Task<long[]> MarkedRecordingsAsync(string userId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<long>(
            new CommandDefinition(ErasureSql.Marked, new { UserId = userId }, cancellationToken: cancellationToken))];
    }

    /// <summary>Records that the ledger has these recordings of the erasure.</summary>
    internal async Task LedgeredAsync(long erasureId, long[] recordings, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(
            new CommandDefinition(ErasureSql.Ledgered, new { Id = erasureId, Ids = recordings }, cancellationToken: cancellationToken));
    }

    internal async Task<byte[]> SubjectKeyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        return await PrivacySubjects.KeyAsync(connection, null, cancellationToken);
    }

    /// <summary>The users of this database whose subject hash is one of <paramref name="subjects"/>, by hash.</summary>
    internal async Task<Dictionary<string, string>> UsersBySubjectAsync(
        byte[] key, IReadOnlySet<string> subjects, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var reader = await connection.ExecuteReaderAsync(
            new CommandDefinition(ErasureSql.KnownUsers, cancellationToken: cancellationToken));
        while (await reader.ReadAsync(cancellationToken))
        {
            var userId = reader.GetString(0);
            var hash = PrivacySubjects.Hash(key, PrivacySubjects.Folder(userId));
            if (subjects.Contains(hash))
            {
                found[hash] = userId;
            }
        }
        return found;
    }

    /// <summary>The erasure if it is about the user (by their subject hash, which outlives the user id), else null.</summary>
    internal async Task<ErasureRow?> GetForUserAsync(long id, string userId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        var subjectHash = await PrivacySubjects.HashAsync(connection, null, PrivacySubjects.Folder(userId), cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ErasureRow>(
            new CommandDefinition(ErasureSql.ByIdForSubject, new { Id = id, SubjectHash = subjectHash },
                cancellationToken: cancellationToken));
    }

    /// <summary>Open erasures the privacy sweep carries on (not those a legal hold stopped).</summary>
    internal async Task<List<long>> OpenIdsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<long>(
            new CommandDefinition(ErasureSql.OpenErasures, new { options.Value.BatchSize },
                cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>What holds the user's recorder data: "user", "recording" (one of theirs), or null.</summary>
    internal async Task<string?> LegalHoldAsync(string userId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        return await LegalHoldAsync(connection, null, userId, cancellationToken);
    }

    /// <summary>The user's recordings not marked for erasure: those made after it, whose blobs stay.</summary>
    internal async Task<HashSet<long>> LiveRecordingsAsync(string userId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<long>(
            new CommandDefinition(ErasureSql.LiveRecordings, new { UserId = userId }, cancellationToken: cancellationToken))];
    }

    /// <summary>
    /// Marks every recording of the user 'deleting' (gone for everyone) and releases the app's references, in batches.
    /// False, with the batch undone, when a legal hold turned up.
    /// </summary>
    internal async Task<bool> MarkRecordingsAsync(long erasureId, string userId, CancellationToken cancellationToken)
    {
        while (true)
        {
            await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var ids = (await connection.QueryAsync<long>(
                new CommandDefinition(ErasureSql.NextToMark, new { UserId = userId, options.Value.BatchSize }, transaction,
                    cancellationToken: cancellationToken))).AsList();
            // After the row locks: a recording hold set meanwhile has committed, or waits for this batch.
            if (await LegalHoldAsync(connection, transaction, userId, cancellationToken) is not null)
            {
                return false;
            }
            if (ids.Count == 0)
            {
                return true;
            }
            await connection.ExecuteAsync(
                new CommandDefinition(ErasureSql.Mark, new { Ids = ids.ToArray() }, transaction, cancellationToken: cancellationToken));
            var released = (await RecordingReferences.ReleaseAsync(connection, transaction, ids.Select(id => (userId, id)).ToList(),
                cancellationToken)).Values;
            await AddCountsAsync(connection, transaction, erasureId, new ErasureCounts
            {
                ReleasedContent = released.Sum(links => links.ContentIds.Count),
                ReleasedSocialPosts = released.Sum(links => links.SocialPostIds.Count),
                ReleasedAiTasks = released.Sum(links => links.AiTaskIds.Count),
            }, softDeleted: null, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Rows go in one transaction with the receipt, which names no one: a subject hash, counts and times. False, with
    /// nothing deleted, when a legal hold turned up.
    /// </summary>
    internal async Task<bool> DeleteRowsAsync(ErasureRow erasure, string userId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // After the row locks, as in marking: a recording hold set meanwhile has committed, or waits for this step.
        await connection.ExecuteAsync(
            new CommandDefinition(ErasureSql.LockErased, new { UserId = userId }, transaction, cancellationToken: cancellationToken));
        if (await LegalHoldAsync(connection, transaction, userId, cancellationToken) is not null)
        {
            return false;
        }
        var deleted = await connection.QuerySingleAsync<ErasureCounts>(new CommandDefinition(
            ErasureSql.DeleteRows, new { UserId = userId, StorageUsageKind = AlertKinds.StorageUsage }, transaction,
            cancellationToken: cancellationToken));
        await connection.ExecuteAsync(
            new CommandDefinition(ErasureSql.DeleteRecordings, new { UserId = userId }, transaction, cancellationToken: cancellationToken));
        deleted.AuditEntries = await connection.ExecuteAsync(new CommandDefinition(
            ErasureSql.DeleteAudit, new { UserId = userId, Folder = PrivacySubjects.Folder(userId) }, transaction,
            cancellationToken: cancellationToken));
        var counts = await AddCountsAsync(connection, transaction, erasure.Id, deleted, softDeleted: null, cancellationToken);
        await connection.ExecuteAsync(
            new CommandDefinition(ErasureSql.RowsDeleted, new { erasure.Id, options.Value.ErasureGracePeriod }, transaction,
                cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(ErasureSql.Receipt, new
        {
            ErasureService.ActorId,
            Action = AuditActions.PrivacyErasure,
            Details = JsonSerializer.Serialize(new
            {
                erasureId = erasure.Id,
                erasure.SubjectHash,
                erasure.RequestedBy,
                requestedAt = new DateTimeOffset(erasure.RequestedAt, TimeSpan.Zero),
                rowsDeletedAt = time.GetUtcNow(),
                counts,
            }, ErasureRow.CountsJson),
        }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>What a storage sweep deleted, added to the erasure; the soft-deleted blobs it saw replace the last sweep's.</summary>
    internal async Task AddSweptAsync(long erasureId, StorageSweepResult swept, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        await AddCountsAsync(connection, null, erasureId, swept.Deleted, swept.SoftDeleted, cancellationToken);
    }

    /// <summary>A finishing erasure past its grace period forgets the user id; false while it is not due.</summary>
    internal async Task<bool> CompleteIfDueAsync(long erasureId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(
            new CommandDefinition(ErasureSql.Complete, new { Id = erasureId }, cancellationToken: cancellationToken)) > 0;
    }

    private static Task<string?> LegalHoldAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string userId, CancellationToken cancellationToken)
        => connection.ExecuteScalarAsync<string?>(
            new CommandDefinition(ErasureSql.LegalHold, new { UserId = userId }, transaction, cancellationToken: cancellationToken));

    private static async Task<ErasureCounts> AddCountsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long erasureId,
        ErasureCounts added, int? softDeleted, CancellationToken cancellationToken)
        => ErasureRow.ParseCounts(await connection.QuerySingleAsync<string>(new CommandDefinition(
            ErasureSql.AddCounts, new { Id = erasureId, Added = ErasureRow.Json(added), SoftDeleted = softDeleted }, transaction,
            cancellationToken: cancellationToken)));
}
