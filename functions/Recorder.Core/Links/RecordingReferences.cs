using System.Data;
using Dapper;

namespace Recorder.Core.Links;

/// <summary>What a recording's deletion changed in the rows that referenced it (the delete's audit details).</summary>
public sealed record ReleasedLinks(IReadOnlyList<int> ContentIds, IReadOnlyList<int> SocialPostIds, IReadOnlyList<int> AiTaskIds);

/// <summary>
/// How the main app's rows point at a recording, and what happens to them when it is deleted.
/// <para>
/// References are <c>recorder://recordings/{id}/media</c> and <c>…/thumbnail</c>, never URLs: read
/// SAS links expire within minutes and the blob behind a recording changes (ingest's seekable copy),
/// so the app resolves a reference when it shows it, through <c>GET /api/recordings/{id}</c>
/// (<c>mediaUrl</c>, <c>thumbnailUrl</c>). Rows made from a recording also carry
/// <c>metadata.recordingId</c>, which is what finds them.
/// </para>
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
    public static async Task<ReleasedLinks> ReleaseAsync(IDbConnection connection, IDbTransaction transaction, string userId, long recordingId, CancellationToken cancellationToken)
    {
        var parameters = new { UserId = userId, RecordingId = recordingId, Media = Media(recordingId), Thumbnail = Thumbnail(recordingId) };
        var content = await connection.QueryAsync<int>(new CommandDefinition(ReleaseContentSql, parameters, transaction, cancellationToken: cancellationToken));
        var posts = await connection.QueryAsync<int>(new CommandDefinition(ReleaseSocialPostsSql, parameters, transaction, cancellationToken: cancellationToken));
        var tasks = await connection.QueryAsync<int>(new CommandDefinition(ReleaseAiTasksSql, parameters, transaction, cancellationToken: cancellationToken));
        return new ReleasedLinks(content.Order().ToList(), posts.Order().ToList(), tasks.Order().ToList());
    }

    /// <summary>
    /// The delete rule for a batch of recordings (retention, erasure), one recording after another in the
    /// caller's transaction. Not one joined statement per table: the app's index on metadata ->> 'recordingId'
    /// is partial, so PostgreSQL keeps no statistics for that expression, and a join with a batch of ids was
    /// planned as a sequential scan of the app's whole table (120 ms for 500 ids over 300 000 content rows,
    /// where each recording's own statement is an index probe of 0.1 ms).
    /// </summary>
    public static async Task<IReadOnlyDictionary<long, ReleasedLinks>> ReleaseAsync(
        IDbConnection connection, IDbTransaction transaction, IReadOnlyCollection<(string UserId, long RecordingId)> recordings, CancellationToken cancellationToken)
    {
        var released = new Dictionary<long, ReleasedLinks>(recordings.Count);
        foreach (var (userId, recordingId) in recordings)
        {
            released[recordingId] = await ReleaseAsync(connection, transaction, userId, recordingId, cancellationToken);
        }
        return released;
    }
}
