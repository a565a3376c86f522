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
    // One statement per table for a whole batch of recordings (retention, erasure): @Released pairs each
    // recording with its owner and its two references, row by row.
    private const string ReleasedRecordings = "unnest(@UserIds::text[], @RecordingIds::bigint[], @MediaRefs::text[], @ThumbnailRefs::text[]) AS released(user_id, recording_id, media, thumbnail)";

    private const string ReleaseContentSql = $"""
        UPDATE content SET
          video_url = CASE WHEN video_url = released.media THEN NULL ELSE video_url END,
          thumbnail_url = CASE WHEN thumbnail_url = released.thumbnail THEN NULL ELSE thumbnail_url END,
          metadata = metadata || jsonb_build_object('recordingDeletedAt', now()),
          updated_at = now()
        FROM {ReleasedRecordings}
        WHERE content.user_id = released.user_id AND content.metadata ->> 'recordingId' = released.recording_id::text
        RETURNING released.recording_id AS RecordingId, content.id AS Id
        """;

    private const string ReleaseSocialPostsSql = $"""
        UPDATE social_posts SET
          media_urls = array_remove(media_urls, released.media),
          thumbnail_url = CASE WHEN thumbnail_url = released.thumbnail THEN NULL ELSE thumbnail_url END,
          metadata = metadata || jsonb_build_object('recordingDeletedAt', now()),
          updated_at = now()
        FROM {ReleasedRecordings}
        WHERE social_posts.user_id = released.user_id AND social_posts.metadata ->> 'recordingId' = released.recording_id::text
        RETURNING released.recording_id AS RecordingId, social_posts.id AS Id
        """;

    // A pending task's worker finds the marker instead of a recording that no longer resolves.
    private const string ReleaseAiTasksSql = $"""
        UPDATE ai_generation_tasks SET metadata = metadata || jsonb_build_object('recordingDeletedAt', now())
        FROM {ReleasedRecordings}
        WHERE ai_generation_tasks.user_id = released.user_id AND ai_generation_tasks.metadata ->> 'recordingId' = released.recording_id::text
        RETURNING released.recording_id AS RecordingId, ai_generation_tasks.id AS Id
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
        => (await ReleaseAsync(connection, transaction, [(userId, recordingId)], cancellationToken))[recordingId];

    /// <summary>The delete rule for a batch of recordings (each with its owner): three statements, whatever its size.</summary>
    public static async Task<IReadOnlyDictionary<long, ReleasedLinks>> ReleaseAsync(
        IDbConnection connection, IDbTransaction transaction, IReadOnlyCollection<(string UserId, long RecordingId)> recordings, CancellationToken cancellationToken)
    {
        var parameters = new
        {
            UserIds = recordings.Select(r => r.UserId).ToArray(),
            RecordingIds = recordings.Select(r => r.RecordingId).ToArray(),
            MediaRefs = recordings.Select(r => Media(r.RecordingId)).ToArray(),
            ThumbnailRefs = recordings.Select(r => Thumbnail(r.RecordingId)).ToArray(),
        };
        async Task<ILookup<long, int>> ReleaseFromAsync(string sql)
            => (await connection.QueryAsync<(long RecordingId, int Id)>(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken)))
                .ToLookup(row => row.RecordingId, row => row.Id);
        var content = await ReleaseFromAsync(ReleaseContentSql);
        var posts = await ReleaseFromAsync(ReleaseSocialPostsSql);
        var tasks = await ReleaseFromAsync(ReleaseAiTasksSql);
        return recordings.ToDictionary(
            r => r.RecordingId,
            r => new ReleasedLinks(content[r.RecordingId].Order().ToList(), posts[r.RecordingId].Order().ToList(), tasks[r.RecordingId].Order().ToList()));
    }
}
