using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Api;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.Security;
using Recorder.Core.Storage;
using Recorder.Core.Uploads.Sas;

namespace Recorder.Core.Recordings;

public sealed record RecordingPage(IReadOnlyList<RecordingView> Items, string? NextCursor);

public sealed record TypeUsage(long Count, long Bytes);

public sealed record StorageUsage(
    long UsedBytes, long LimitBytes, double PercentUsed, long RecordingCount, IReadOnlyDictionary<string, TypeUsage> ByType);

/// <summary>
/// The caller's recordings: list, read, change, delete, storage used. Every call runs in one
/// transaction bound to the caller (row-level security) and writes its audit entry in it (a list page that shows slide
/// timelines reads their trims in a second, read-only one).
/// A recording that is not the caller's is "not found", never "forbidden".
/// </summary>
public sealed class RecordingsService(
    RecorderDataSources dataSources,
    RecordingBlobs recordingBlobs,
    IBlobSasIssuer sas,
    StorageQuota quota,
    IOptions<StorageOptions> storageOptions,
    IOptions<SasOptions> sasOptions,
    TimeProvider time,
    ILogger<RecordingsService> logger)
{
    // One page of the caller's recordings, newest first, after the keyset cursor.
    private const string PageSql = $"""
        SELECT {RecordingRow.Columns}
        FROM recordings
        WHERE user_id = @UserId
          AND status <> 'deleting'
          AND (@Type::varchar IS NULL OR recording_type = @Type)
          AND (@ProjectId::integer IS NULL OR project_id = @ProjectId)
          AND (@Status::varchar IS NULL OR status = @Status)
          AND (@TitlePattern::text IS NULL OR title ILIKE @TitlePattern ESCAPE '\')
          AND (@AfterCreatedAt::timestamptz IS NULL OR (created_at, id) < (@AfterCreatedAt, @AfterId))
        ORDER BY created_at DESC, id DESC
        LIMIT @Take
        """;

    // The page and its audit entry (as AuditLog writes a user's entry) in one statement. The order is the outer query's
    // (a CTE keeps none), by the select list's aliases, which PostgreSQL folds to lower case.
    private const string ListSql = $"""
        WITH page AS (
        {PageSql}
        ), audited AS (
          INSERT INTO audit_log (actor_type, actor_id, user_id, action, outcome, request_id, client_ip, user_agent, details)
          SELECT 'user', @UserId, @UserId, @Action, @Outcome, @RequestId, @ClientIp::inet, @UserAgent,
                 jsonb_build_object('count', least(count(*), @Limit))
          FROM page
        )
        SELECT * FROM page ORDER BY createdat DESC, id DESC
        """;

    // A page's best plan depends on whose it is: an index scan in creation order for a user with many recordings. The
    // generic plan of the prepared statement, which PostgreSQL may settle on after five executions, sorts all of a user's
    // rows (5 s for one with 99 000 at 10 M recordings: bench/notes/mixed-load.md); each page is planned for its user.
    private const string PlannedForThisUserSql = "set_config('plan_cache_mode', 'force_custom_plan', true)";

    private const string GetSql = $"SELECT {RecordingRow.Columns} FROM recordings WHERE id = @Id AND status <> 'deleting'";

    private const string UpdateSql = $"""
        UPDATE recordings SET
          title = CASE WHEN @SetTitle THEN @Title ELSE title END,
          description = CASE WHEN @SetDescription THEN @Description ELSE description END,
          project_id = CASE WHEN @SetProjectId THEN @ProjectId ELSE project_id END,
          quality = CASE WHEN @SetQuality THEN @Quality ELSE quality END,
          metadata = CASE WHEN NOT @SetSlides THEN metadata
                          WHEN @Slides::jsonb IS NULL THEN metadata - 'slides'
                          ELSE metadata || jsonb_build_object('slides', @Slides::jsonb) END
        WHERE id = @Id AND status <> 'deleting'
        RETURNING {RecordingRow.Columns}
        """;

    private const string ProjectOwnedSql = "SELECT EXISTS (SELECT 1 FROM projects WHERE id = @ProjectId AND user_id = @UserId)";

    // A legal hold binds every deletion (docs/operations.md): the recording's own, or one on its owner (migration 024,
    // which the app role answers for its own user only). The row lock makes an operator's recording hold wait for,
    // or win over, this delete.
    private const string LegalHoldSql = """
        SELECT recorder_recording_held(r)
        FROM recordings r
        WHERE r.id = @Id AND r.status <> 'deleting'
        FOR UPDATE OF r
        """;

    private const string MarkDeletingSql = """
        UPDATE recordings SET status = 'deleting'
        WHERE id = @Id AND status <> 'deleting'
        RETURNING id AS Id, blob_name AS BlobName, media_blob_name AS MediaBlobName, thumbnail_blob_name AS ThumbnailBlobName
        """;

    private const string DeleteMarkedSql = "DELETE FROM recordings WHERE id = @Id AND status = 'deleting'";

    public async Task<ServiceResult<RecordingPage>> ListAsync(
        Caller caller, RecordingListQuery query, RequestInfo request, CancellationToken cancellationToken)
    {
        // One round trip for the page and its audit entry; only a page showing slide timelines reads their trims after it.
        var rows = await dataSources.App.QueryAsUserAsync<RecordingRow>(caller.UserId, PlannedForThisUserSql, ListSql, new
        {
            caller.UserId,
            query.Type,
            query.ProjectId,
            query.Status,
            TitlePattern = query.TitleContains is { } text ? $"%{EscapeLike(text)}%" : null,
            AfterCreatedAt = query.After?.CreatedAt,
            AfterId = query.After?.Id,
            Take = query.Limit + 1,
            query.Limit,
            Action = AuditActions.RecordingList,
            Outcome = AuditOutcomes.Success,
            request.RequestId,
            ClientIp = request.ClientIp?.ToString(),
            request.UserAgent,
        }, cancellationToken);
        var page = rows.Take(query.Limit).ToList();
        var timelines = SlideTimelines(page);
        var slides = timelines.Count == 0 ? [] : await dataSources.App.RunAsUserAsync(caller.UserId,
            (connection, transaction) => EffectiveSlidesAsync(connection, transaction, timelines, cancellationToken), cancellationToken);

        var expiresAt = ReadUrlExpiry();
        var items = new List<RecordingView>(page.Count);
        foreach (var row in page)
        {
            items.Add(RecordingView.From(row, mediaUrl: null, await ThumbnailUrlAsync(row, expiresAt, cancellationToken),
                row.ThumbnailBlobName is null ? null : expiresAt) with { Slides = slides.GetValueOrDefault(row.Id) });
        }
        var next = rows.Count > query.Limit ? new RecordingCursor(page[^1].CreatedAt, page[^1].Id).Encode() : null;
        return new RecordingPage(items, next);
    }

    public async Task<ServiceResult<RecordingView>> GetAsync(
        Caller caller, long id, RequestInfo request, CancellationToken cancellationToken)
    {
        var (row, edits) = await dataSources.App.RunAsUserAsync<(RecordingRow?, Edits.EditState?)>(caller.UserId,
            async (connection, transaction) =>
        {
            var found = await connection.QuerySingleOrDefaultAsync<RecordingRow>(
                new CommandDefinition(GetSql, new { Id = id }, transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction,
                new AuditEntry(caller.UserId, AuditActions.RecordingRead, found is null ? AuditOutcomes.NotFound : AuditOutcomes.Success,
                    id), request, cancellationToken);
            // The effective edits, computed from the applied history in the same transaction as the read.
            return (found, found is null ? null : await Edits.EditStore.ReadStateAsync(connection, transaction, id, cancellationToken));
        }, cancellationToken);
        if (row is null)
        {
            return NotFound(id);
        }
        var view = await ViewWithUrlsAsync(row, cancellationToken);
        return view with { Edits = edits, Slides = SlideTimeline.FromMetadata(view.Metadata)?.Effective(edits?.Trim) };
    }

    public async Task<ServiceResult<RecordingView>> UpdateAsync(
        Caller caller, long id, RecordingPatch patch, RequestInfo request, CancellationToken cancellationToken)
    {
        var result = await dataSources.App.RunAsUserAsync<ServiceResult<(RecordingRow, SlideTimelineView?)>>(caller.UserId,
            async (connection, transaction) =>
        {
            if (patch.ProjectId is { } projectId
                && !await connection.ExecuteScalarAsync<bool>(
                    new CommandDefinition(ProjectOwnedSql, new { ProjectId = projectId, caller.UserId }, transaction,
                        cancellationToken: cancellationToken)))
            {
                await AuditLog.WriteAsync(connection, transaction,
                    new AuditEntry(caller.UserId, AuditActions.RecordingUpdate, AuditOutcomes.Rejected, id,
                        new { reason = "project not the caller's" }), request, cancellationToken);
                return Failure.Invalid("projectId", "is not one of your projects.");
            }
            var updated = await connection.QuerySingleOrDefaultAsync<RecordingRow>(new CommandDefinition(UpdateSql, new
            {
                Id = id,
                patch.SetTitle,
                patch.Title,
                patch.SetDescription,
                patch.Description,
                patch.SetProjectId,
                patch.ProjectId,
                patch.SetQuality,
                patch.Quality,
                patch.SetSlides,
                patch.Slides,
            }, transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction, new AuditEntry(
                caller.UserId, AuditActions.RecordingUpdate, updated is null ? AuditOutcomes.NotFound : AuditOutcomes.Success, id,
                new { fields = patch.ChangedFields }), request, cancellationToken);
            if (updated is null)
            {
                return NotFound(id);
            }
            return (updated, (await EffectiveSlidesAsync(connection, transaction, SlideTimelines([updated]), cancellationToken)).GetValueOrDefault(id));
        }, cancellationToken);
        if (result.Failure is { } failure)
        {
            return failure;
        }
        var (row, slides) = result.Value;
        return (await ViewWithUrlsAsync(row, cancellationToken)) with { Slides = slides };
    }

    /// <summary>
    /// Refuses a recording under a legal hold (its own or its owner's: 409, nothing written but the audit entry).
    /// Otherwise marks the recording <c>deleting</c> (from then on it is gone for the caller), removes its blobs,
    /// then the row. If storage fails, the row stays marked and the lifecycle sweeper finishes the job,
    /// so a blob is never left without a row that knows about it.
    /// </summary>
    public async Task<ServiceResult<bool>> DeleteAsync(Caller caller, long id, RequestInfo request, CancellationToken cancellationToken)
    {
        var outcome = await dataSources.App.RunAsUserAsync<ServiceResult<RecordingBlobNames?>>(caller.UserId,
            async (connection, transaction) =>
        {
            if (await connection.ExecuteScalarAsync<bool?>(
                new CommandDefinition(LegalHoldSql, new { Id = id }, transaction, cancellationToken: cancellationToken)) == true)
            {
                await AuditLog.WriteAsync(connection, transaction,
                    new AuditEntry(caller.UserId, AuditActions.RecordingDelete, AuditOutcomes.Rejected, id, new { reason = "legal hold" }),
                    request, cancellationToken);
                return UnderLegalHold(id);
            }
            var marked = await connection.QuerySingleOrDefaultAsync<RecordingBlobNames>(
                new CommandDefinition(MarkDeletingSql, new { Id = id }, transaction, cancellationToken: cancellationToken));
            // Content and posts made from it stay valid, without its references (docs/api/links.md), from the moment it is gone.
            var released = marked is null ? null
                : await Links.RecordingReferences.ReleaseAsync(connection, transaction, caller.UserId, id, cancellationToken);
            await AuditLog.WriteAsync(connection, transaction,
                new AuditEntry(caller.UserId, AuditActions.RecordingDelete, marked is null ? AuditOutcomes.NotFound : AuditOutcomes.Success,
                    id, released), request, cancellationToken);
            return marked;
        }, cancellationToken);
        if (outcome.Failure is { } failure)
        {
            return failure;
        }
        if (outcome.Value is not { } blobNames)
        {
            return NotFound(id);
        }

        if ((await recordingBlobs.RemoveAsync([blobNames], cancellationToken)).Count == 0)
        {
            // Storage could not be reached: the marked row stays for the lifecycle sweep.
            return true;
        }

        await dataSources.App.RunAsUserAsync(caller.UserId, (connection, transaction) =>
            connection.ExecuteAsync(
                new CommandDefinition(DeleteMarkedSql, new { Id = id }, transaction, cancellationToken: cancellationToken)),
            cancellationToken);
        logger.LogInformation("Recording {RecordingId} of user {UserId} deleted", id, caller.UserId);
        return true;
    }

    public async Task<StorageUsage> GetStorageAsync(Caller caller, CancellationToken cancellationToken)
        => await dataSources.App.RunAsUserAsync(caller.UserId, async (connection, transaction) =>
        {
            var (used, limit) = await quota.UsageAsync(connection, transaction, caller.UserId, cancellationToken);
            var byType = (await connection.QueryAsync<(string Type, long Count, long Bytes)>(
                new CommandDefinition(StorageQuota.UsageByTypeSql, new { caller.UserId }, transaction,
                    cancellationToken: cancellationToken)))
                .ToDictionary(row => row.Type, row => new TypeUsage(row.Count, row.Bytes));
            var percent = limit == 0 ? (used == 0 ? 0 : 100) : Math.Round(100.0 * used / limit, 1);
            return new StorageUsage(used, limit, percent, byType.Values.Sum(t => t.Count), byType);
        }, cancellationToken);

    /// <summary>The slide timelines of those rows that keep one, as their metadata has them.</summary>
    private static List<(long Id, SlideTimeline Timeline)> SlideTimelines(IEnumerable<RecordingRow> rows)
        => rows.Select(row => (row.Id, Timeline: SlideTimeline.FromMetadata(row.MetadataJson())))
            .Where(pair => pair.Timeline is not null)
            .Select(pair => (pair.Id, pair.Timeline!))
            .ToList();

    /// <summary>Those timelines as their recordings' edits' trims leave them, read in the caller's transaction.</summary>
    private static async Task<Dictionary<long, SlideTimelineView>> EffectiveSlidesAsync(NpgsqlConnection connection,
        NpgsqlTransaction transaction, List<(long Id, SlideTimeline Timeline)> timelines, CancellationToken cancellationToken)
    {
        if (timelines.Count == 0)
        {
            return [];
        }
        var trims = await Edits.EditStore.ReadTrimsAsync(connection, transaction, timelines.ConvertAll(pair => pair.Id), cancellationToken);
        return timelines.ToDictionary(pair => pair.Id, pair => pair.Timeline.Effective(trims.GetValueOrDefault(pair.Id)));
    }

    private async Task<RecordingView> ViewWithUrlsAsync(RecordingRow row, CancellationToken cancellationToken)
    {
        var expiresAt = ReadUrlExpiry();
        // The media is readable once ingest has accepted it; before that the blob may be partial or absent.
        var storage = storageOptions.Value;
        var mediaUrl = row.Status != "completed" ? null
            : row.MediaBlobName is { } copy ? await sas.CreateReadUriAsync(storage.ProcessedContainer, copy, expiresAt, cancellationToken)
            : await sas.CreateReadUriAsync(storage.UploadsContainer, row.BlobName, expiresAt, cancellationToken);
        var thumbnailUrl = await ThumbnailUrlAsync(row, expiresAt, cancellationToken);
        return RecordingView.From(row, mediaUrl, thumbnailUrl, mediaUrl is null && thumbnailUrl is null ? null : expiresAt);
    }

    private async Task<Uri?> ThumbnailUrlAsync(RecordingRow row, DateTimeOffset expiresAt, CancellationToken cancellationToken)
        => row.ThumbnailBlobName is { } thumbnail
            ? await sas.CreateReadUriAsync(storageOptions.Value.ThumbnailsContainer, thumbnail, expiresAt, cancellationToken)
            : null;

    private DateTimeOffset ReadUrlExpiry() => time.GetUtcNow() + sasOptions.Value.ReadUrlLifetime;

    private static Failure NotFound(long id) => Failure.NotFound($"Recording {id} does not exist.");

    private static Failure UnderLegalHold(long id)
        => new(FailureKind.Conflict, $"Recording {id} is under a legal hold and cannot be deleted until the hold is lifted.",
            Extensions: new Dictionary<string, object?> { ["legalHold"] = true });

    private static string EscapeLike(string text)
        => text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal)
            .Replace("_", @"\_", StringComparison.Ordinal);
}
