using System.Data;
using Dapper;

namespace Recorder.Core.Links;

/// <summary>What a recording's deletion changed in the rows that referenced it (the delete's audit details).</summary>
public sealed record ReleasedLinks(IReadOnlyList<int> ContentIds, IReadOnlyList<int> SocialPostIds, IReadOnlyList<int> AiTaskIds);

/// <summary>
/// How the main app's rows point at a recording (<c>recorder://recordings/{id}/media</c>, never a URL, which would expire or
/// go stale) and what happens to them when it is deleted (docs/architecture.md, "Links into the app's tables").
/// </summary>
public static class RecordingReferences
{
    /// <summary>Written into <c>metadata.source</c> of every row the recorder creates (ingest's transcription tasks too).</summary>
    public const string Source = "recorder-functions";

    // The app's tables have no row-level security: every statement names the owner itself.
    // Only the recorder's own references are cleared; a URL the user put there in the app stays.
    private const string ReleaseContentSql = """
        UPDATE content SET
          video_url = CASE WHEN video_url = @Media THEN NULL ELSE video_url END,
          thumbnail_url = CASE WHEN thumbnail_url = @Thumbnail THEN NULL ELSE thumbnail_url END,
          metadata = metadata || jsonb_build_object('recordingDeletedAt', now()),
          updated_at = now()
        WHERE user_id = @UserId AND metadata ->> 'recordingId' = @RecordingId::text
        RETURNING id
        """;

    private const string ReleaseSocialPostsSql = """
        UPDATE social_posts SET
          media_urls = array_remove(media_urls, @Media),
          thumbnail_url = CASE WHEN thumbnail_url = @Thumbnail THEN NULL ELSE thumbnail_url END,
          metadata = metadata || jsonb_build_object('recordingDeletedAt', now()),
          updated_at = now()
        WHERE user_id = @UserId AND metadata ->> 'recordingId' = @RecordingId::text
        RETURNING id
        """;

    // A pending task's worker finds the marker instead of a recording that no longer resolves.
    private const string ReleaseAiTasksSql = """
        UPDATE ai_generation_tasks SET metadata = metadata || jsonb_build_object('recordingDeletedAt', now())
        WHERE user_id = @UserId AND metadata ->> 'recordingId' = @RecordingId::text
        RETURNING id
        """;

    public static string Media(long recordingId) => $"recorder://recordings/{recordingId}/media";

    public static string Thumbnail(long recordingId) => $"recorder://recordings/{recordingId}/thumbnail";

    /// <summary>
    /// The delete rule: content and social posts made from the recording stay, valid, without its
    /// references and marked <c>metadata.recordingDeletedAt</c>; its AI tasks are marked too. Runs in the
    /// transaction that makes the recording gone for its owner (marking it 'deleting'), so no later
    /// failure (storage, the sweeper) can leave a reference to a recording that is gone.
    /// </summary>
    public static async Task<ReleasedLinks> ReleaseAsync(
        IDbConnection connection, IDbTransaction transaction, string userId, long recordingId, CancellationToken cancellationToken)
    {
        var parameters = new { UserId = userId, RecordingId = recordingId, Media = Media(recordingId), Thumbnail = Thumbnail(recordingId) };
        var content = await connection.QueryAsync<int>(
            new CommandDefinition(ReleaseContentSql, parameters, transaction, cancellationToken: cancellationToken));
        var posts = await connection.QueryAsync<int>(
            new CommandDefinition(ReleaseSocialPostsSql, parameters, transaction, cancellationToken: cancellationToken));
        var tasks = await connection.QueryAsync<int>(
            new CommandDefinition(ReleaseAiTasksSql, parameters, transaction, cancellationToken: cancellationToken));
        return new ReleasedLinks(content.Order().ToList(), posts.Order().ToList(), tasks.Order().ToList());
    }

    // The batch form of the three statements above, one statement a table for the whole batch. The rows are found
    // recording by recording (a LATERAL probe of the app's partial metadata ->> 'recordingId' index, kept a probe by
    // OFFSET 0: that index has no statistics, and a plain join was planned as a scan of the table), then updated by
    // primary key. Each row's recording id and references come from its own metadata, which matched the recording's id.
    private const string BatchRowsSql = """
        ARRAY(SELECT found.id
              FROM unnest(@UserIds::text[], @RecordingIds::bigint[]) AS wanted(user_id, recording_id)
              CROSS JOIN LATERAL (SELECT id FROM {0} WHERE user_id = wanted.user_id
                                    AND metadata ->> 'recordingId' = wanted.recording_id::text OFFSET 0) AS found)
        """;

    private const string MediaSql = "'recorder://recordings/' || (metadata ->> 'recordingId') || '/media'";
    private const string ThumbnailSql = "'recorder://recordings/' || (metadata ->> 'recordingId') || '/thumbnail'";

    private static readonly string ReleaseBatchContentSql = $"""
        UPDATE content SET
          video_url = CASE WHEN video_url = {MediaSql} THEN NULL ELSE video_url END,
          thumbnail_url = CASE WHEN thumbnail_url = {ThumbnailSql} THEN NULL ELSE thumbnail_url END,
          metadata = metadata || jsonb_build_object('recordingDeletedAt', now()),
          updated_at = now()
        WHERE id = ANY ({string.Format(System.Globalization.CultureInfo.InvariantCulture, BatchRowsSql, "content")})
        RETURNING (metadata ->> 'recordingId')::bigint AS RecordingId, id AS Id
        """;

    private static readonly string ReleaseBatchSocialPostsSql = $"""
        UPDATE social_posts SET
          media_urls = array_remove(media_urls, {MediaSql}),
          thumbnail_url = CASE WHEN thumbnail_url = {ThumbnailSql} THEN NULL ELSE thumbnail_url END,
          metadata = metadata || jsonb_build_object('recordingDeletedAt', now()),
          updated_at = now()
        WHERE id = ANY ({string.Format(System.Globalization.CultureInfo.InvariantCulture, BatchRowsSql, "social_posts")})
        RETURNING (metadata ->> 'recordingId')::bigint AS RecordingId, id AS Id
        """;

    private static readonly string ReleaseBatchAiTasksSql = $"""
        UPDATE ai_generation_tasks SET metadata = metadata || jsonb_build_object('recordingDeletedAt', now())
        WHERE id = ANY ({string.Format(System.Globalization.CultureInfo.InvariantCulture, BatchRowsSql, "ai_generation_tasks")})
        RETURNING (metadata ->> 'recordingId')::bigint AS RecordingId, id AS Id
        """;

    /// <summary>
    /// The delete rule for a batch of recordings (retention, erasure) in the caller's transaction: three statements for the
    /// whole batch, as <see cref="ReleaseAsync(IDbConnection, IDbTransaction, string, long, CancellationToken)"/> does for one.
    /// </summary>
    public static async Task<IReadOnlyDictionary<long, ReleasedLinks>> ReleaseAsync(
        IDbConnection connection, IDbTransaction transaction, IReadOnlyCollection<(string UserId, long RecordingId)> recordings,
        CancellationToken cancellationToken)
    {
        var parameters = new
        {
            UserIds = recordings.Select(recording => recording.UserId).ToArray(),
            RecordingIds = recordings.Select(recording => recording.RecordingId).ToArray(),
        };
        async Task<ILookup<long, int>> ReleasedAsync(string sql)
            => (await connection.QueryAsync<(long RecordingId, int Id)>(
                new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken)))
                .ToLookup(row => row.RecordingId, row => row.Id);
        var content = await ReleasedAsync(ReleaseBatchContentSql);
        var posts = await ReleasedAsync(ReleaseBatchSocialPostsSql);
        var tasks = await ReleasedAsync(ReleaseBatchAiTasksSql);
        return recordings.ToDictionary(recording => recording.RecordingId, recording => new ReleasedLinks(
            content[recording.RecordingId].Order().ToList(),
            posts[recording.RecordingId].Order().ToList(),
            tasks[recording.RecordingId].Order().ToList()));
    }
}
