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

    /// <summary>
    /// The delete rule for a batch of recordings (retention, erasure) in the caller's transaction, one recording at a time:
    /// the app's metadata ->> 'recordingId' index is partial and has no statistics, so a batch join was planned as a scan.
    /// </summary>
    public static async Task<IReadOnlyDictionary<long, ReleasedLinks>> ReleaseAsync(
        IDbConnection connection, IDbTransaction transaction, IReadOnlyCollection<(string UserId, long RecordingId)> recordings,
        CancellationToken cancellationToken)
    {
        var released = new Dictionary<long, ReleasedLinks>(recordings.Count);
        foreach (var (userId, recordingId) in recordings)
        {
            released[recordingId] = await ReleaseAsync(connection, transaction, userId, recordingId, cancellationToken);
        }
        return released;
    }
}
