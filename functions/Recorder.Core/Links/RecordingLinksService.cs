using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using Recorder.Core.Api;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.Recordings;
using Recorder.Core.Security;

namespace Recorder.Core.Links;

/// <summary>
/// Recordings in the main app's tables: a project's recordings, and content items, social posts and
/// AI tasks made from a recording. Those tables have no row-level security, so every statement on
/// them filters by the caller's user id itself. Each call is one transaction with its audit entry;
/// another user's recording or project is "not found".
/// </summary>
public sealed class RecordingLinksService(
    RecorderDataSources dataSources, RecordingsService recordings, ILogger<RecordingLinksService> logger)
{
    private const string ProjectOwnedSql = "SELECT EXISTS (SELECT 1 FROM projects WHERE id = @ProjectId AND user_id = @UserId)";

    private const string RecordingExistsSql = "SELECT EXISTS (SELECT 1 FROM recordings WHERE id = @Id " +
        "AND user_id = @UserId AND status <> 'deleting')";

    // FOR SHARE holds off a concurrent delete until this transaction commits, so the delete rule
    // (RecordingReferences.ReleaseAsync, in the delete's transaction) sees every row made here.
    private const string LockRecordingSql = """
        SELECT project_id AS ProjectId, title AS Title, status AS Status, thumbnail_blob_name IS NOT NULL AS HasThumbnail
        FROM recordings
        WHERE id = @Id AND user_id = @UserId AND status <> 'deleting'
        FOR SHARE
        """;

    // One creator at a time per (recording, kind, key): the second finds the first's row. An advisory
    // lock, not a unique index, because the app's own writes must stay free to copy such rows.
    private const string LockLinkSql = "SELECT pg_advisory_xact_lock(hashtext('recorder.links'), hashtext(@Key))";

    private const string FindContentSql = $"""
        SELECT {ContentLink.Columns} FROM content
        WHERE user_id = @UserId AND metadata ->> 'recordingId' = @RecordingId::text AND platform = @Platform
        ORDER BY id LIMIT 1
        """;

    private const string InsertContentSql = $"""
        INSERT INTO content (user_id, project_id, title, description, platform, content_type, status, video_url, thumbnail_url, tags,
                             metadata)
        VALUES (@UserId, @ProjectId, @Title, @Description, @Platform, @ContentType, 'draft', @VideoUrl, @ThumbnailUrl, @Tags::text[],
                jsonb_build_object('recordingId', @RecordingId, 'source', @Source))
        RETURNING {ContentLink.Columns}
        """;

    private const string FindSocialPostSql = $"""
        SELECT {SocialPostLink.Columns} FROM social_posts
        WHERE user_id = @UserId AND metadata ->> 'recordingId' = @RecordingId::text AND content_type = @ContentType
        ORDER BY id LIMIT 1
        """;

    private const string InsertSocialPostSql = $"""
        INSERT INTO social_posts (user_id, project_id, title, caption, hashtags, content_type, status, thumbnail_url, media_urls, metadata)
        VALUES (@UserId, @ProjectId, @Title, @Caption, @Hashtags::text[], @ContentType, 'draft', @ThumbnailUrl, ARRAY[@MediaUrl]::text[],
                jsonb_build_object('recordingId', @RecordingId, 'source', @Source))
        RETURNING {SocialPostLink.Columns}
        """;

    // The statuses the app's worker has not finished with; a finished task of the type may be asked again.
    private const string FindActiveAiTaskSql = $"""
        SELECT {AiTaskLink.Columns} FROM ai_generation_tasks
        WHERE user_id = @UserId AND metadata ->> 'recordingId' = @RecordingId::text AND task_type = @TaskType
          AND status IN ('pending', 'running', 'processing')
        ORDER BY id LIMIT 1
        """;

    // Same shape as ingest's transcription task (IngestWorker.TranscriptionTaskSql), so each finds the other's.
    private const string InsertAiTaskSql = $"""
        INSERT INTO ai_generation_tasks (user_id, task_type, prompt, status, metadata)
        VALUES (@UserId, @TaskType, @Prompt, 'pending', jsonb_build_object('recordingId', @RecordingId, 'source', @Source))
        RETURNING {AiTaskLink.Columns}
        """;

    private const string ListAiTasksSql = $"""
        SELECT {AiTaskLink.Columns} FROM ai_generation_tasks
        WHERE user_id = @UserId AND metadata ->> 'recordingId' = @RecordingId::text
          AND (@BeforeId::integer IS NULL OR id < @BeforeId)
        ORDER BY id DESC
        LIMIT @Take
        """;

    /// <summary>
    /// The recordings of one of the caller's projects: <see cref="RecordingsService.ListAsync"/> once the project is known to be theirs.
    /// </summary>
    public async Task<ServiceResult<RecordingPage>> ListProjectRecordingsAsync(
        Caller caller, RecordingListQuery query, RequestInfo request, CancellationToken cancellationToken)
    {
        var projectId = query.ProjectId ?? throw new ArgumentException("The query names no project.", nameof(query));
        var owned = await dataSources.App.RunAsUserAsync(caller.UserId, async (connection, transaction) =>
        {
            var found = await connection.ExecuteScalarAsync<bool>(
                new CommandDefinition(ProjectOwnedSql, new { ProjectId = projectId, caller.UserId }, transaction,
                    cancellationToken: cancellationToken));
            if (!found)
            {
                // When it is, RecordingsService.ListAsync writes the call's one entry.
                await AuditLog.WriteAsync(connection, transaction,
                    new AuditEntry(caller.UserId, AuditActions.RecordingList, AuditOutcomes.NotFound, Details: new { projectId }), request,
                    cancellationToken);
            }
            return found;
        }, cancellationToken);
        return owned
            ? await recordings.ListAsync(caller, query, request, cancellationToken)
            : Failure.NotFound($"Project {projectId} does not exist.");
    }

    /// <summary>A draft content item of the recording for a platform; the existing one if there is one.</summary>
    public Task<ServiceResult<Linked<ContentLink>>> CreateContentAsync(
        Caller caller, long recordingId, ValidContent content, RequestInfo request, CancellationToken cancellationToken)
        => CreateOnceAsync(
            caller, recordingId, AuditActions.ContentCreate, $"content/{content.Platform}", request,
            (connection, transaction) => connection.QuerySingleOrDefaultAsync<ContentLink>(new CommandDefinition(FindContentSql, new
            {
                caller.UserId,
                RecordingId = recordingId,
                content.Platform,
            }, transaction, cancellationToken: cancellationToken)),
            (connection, transaction, recording) => connection.QuerySingleAsync<ContentLink>(new CommandDefinition(InsertContentSql, new
            {
                caller.UserId,
                recording.ProjectId,
                Title = content.Title ?? recording.Title,
                content.Description,
                content.Platform,
                content.ContentType,
                VideoUrl = RecordingReferences.Media(recordingId),
                ThumbnailUrl = recording.HasThumbnail ? RecordingReferences.Thumbnail(recordingId) : null,
                content.Tags,
                RecordingId = recordingId,
                RecordingReferences.Source,
            }, transaction, cancellationToken: cancellationToken)),
            (row, created) => new { contentId = row.Id, created, row.Platform },
            cancellationToken);

    /// <summary>A draft social post with the recording as its media, one per content type; the existing one if there is one.</summary>
    public Task<ServiceResult<Linked<SocialPostLink>>> CreateSocialPostAsync(
        Caller caller, long recordingId, ValidSocialPost post, RequestInfo request, CancellationToken cancellationToken)
        => CreateOnceAsync(
            caller, recordingId, AuditActions.SocialPostCreate, $"social-post/{post.ContentType}", request,
            (connection, transaction) => connection.QuerySingleOrDefaultAsync<SocialPostLink>(new CommandDefinition(FindSocialPostSql, new
            {
                caller.UserId,
                RecordingId = recordingId,
                post.ContentType,
            }, transaction, cancellationToken: cancellationToken)),
            (connection, transaction, recording) => connection.QuerySingleAsync<SocialPostLink>(
                new CommandDefinition(InsertSocialPostSql, new
            {
                caller.UserId,
                recording.ProjectId,
                Title = post.Title ?? recording.Title,
                post.Caption,
                post.Hashtags,
                post.ContentType,
                ThumbnailUrl = recording.HasThumbnail ? RecordingReferences.Thumbnail(recordingId) : null,
                MediaUrl = RecordingReferences.Media(recordingId),
                RecordingId = recordingId,
                RecordingReferences.Source,
            }, transaction, cancellationToken: cancellationToken)),
            (row, created) => new { socialPostId = row.Id, created, row.ContentType },
            cancellationToken);

    /// <summary>A pending AI task about the recording; the unfinished one of the same type if there is one.</summary>
    public Task<ServiceResult<Linked<AiTaskLink>>> CreateAiTaskAsync(
        Caller caller, long recordingId, string taskType, RequestInfo request, CancellationToken cancellationToken)
        => CreateOnceAsync(
            caller, recordingId, AuditActions.AiTaskCreate, $"ai-task/{taskType}", request,
            (connection, transaction) => connection.QuerySingleOrDefaultAsync<AiTaskLink>(new CommandDefinition(FindActiveAiTaskSql, new
            {
                caller.UserId,
                RecordingId = recordingId,
                TaskType = taskType,
            }, transaction, cancellationToken: cancellationToken)),
            (connection, transaction, _) => connection.QuerySingleAsync<AiTaskLink>(new CommandDefinition(InsertAiTaskSql, new
            {
                caller.UserId,
                TaskType = taskType,
                Prompt = PromptFor(taskType, recordingId),
                RecordingId = recordingId,
                RecordingReferences.Source,
            }, transaction, cancellationToken: cancellationToken)),
            (row, created) => new { aiTaskId = row.Id, created, row.TaskType },
            cancellationToken);

    /// <summary>The recording's AI tasks, newest first, with the status the app's worker keeps.</summary>
    public async Task<ServiceResult<AiTaskPage>> ListAiTasksAsync(
        Caller caller, long recordingId, AiTaskListQuery query, RequestInfo request, CancellationToken cancellationToken)
    {
        var rows = await dataSources.App.RunAsUserAsync(caller.UserId, async (connection, transaction) =>
        {
            List<AiTaskLink>? found = null;
            if (await connection.ExecuteScalarAsync<bool>(
                new CommandDefinition(RecordingExistsSql, new { Id = recordingId, caller.UserId }, transaction,
                    cancellationToken: cancellationToken)))
            {
                found = (await connection.QueryAsync<AiTaskLink>(new CommandDefinition(ListAiTasksSql, new
                {
                    caller.UserId,
                    RecordingId = recordingId,
                    query.BeforeId,
                    Take = query.Limit + 1,
                }, transaction, cancellationToken: cancellationToken))).AsList();
            }
            await AuditLog.WriteAsync(
                connection, transaction,
                new AuditEntry(caller.UserId, AuditActions.AiTaskList, found is null ? AuditOutcomes.NotFound : AuditOutcomes.Success,
                    recordingId, found is null ? null : new { count = Math.Min(found.Count, query.Limit) }),
                request, cancellationToken);
            return found;
        }, cancellationToken);
        if (rows is null)
        {
            return RecordingNotFound(recordingId);
        }
        var page = rows.Take(query.Limit).ToList();
        return new AiTaskPage(page, rows.Count > query.Limit ? AiTaskListQuery.EncodeCursor(page[^1].Id) : null);
    }

    /// <summary>
    /// The frame of every create: the recording must be the caller's (404) and completed (409: its media
    /// is what the row refers to); then, serialized per link key, the existing row or a new one.
    /// </summary>
    private Task<ServiceResult<Linked<T>>> CreateOnceAsync<T>(
        Caller caller,
        long recordingId,
        string action,
        string linkKey,
        RequestInfo request,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<T?>> find,
        Func<NpgsqlConnection, NpgsqlTransaction, LinkedRecording, Task<T>> insert,
        Func<T, bool, object> auditDetails,
        CancellationToken cancellationToken)
        where T : class
        => dataSources.App.RunAsUserAsync<ServiceResult<Linked<T>>>(caller.UserId, async (connection, transaction) =>
        {
            var recording = await connection.QuerySingleOrDefaultAsync<LinkedRecording>(
                new CommandDefinition(LockRecordingSql, new { Id = recordingId, caller.UserId }, transaction,
                    cancellationToken: cancellationToken));
            if (recording is null)
            {
                await AuditLog.WriteAsync(connection, transaction,
                    new AuditEntry(caller.UserId, action, AuditOutcomes.NotFound, recordingId), request, cancellationToken);
                return RecordingNotFound(recordingId);
            }
            if (recording.Status != "completed")
            {
                await AuditLog.WriteAsync(connection, transaction,
                    new AuditEntry(caller.UserId, action, AuditOutcomes.Rejected, recordingId,
                        new { reason = $"recording is '{recording.Status}'" }), request, cancellationToken);
                return new Failure(FailureKind.Conflict,
                    $"Recording {recordingId} is '{recording.Status}': only a completed recording can be linked, " +
                    $"since its media is what the new row refers to.");
            }

            await connection.ExecuteAsync(
                new CommandDefinition(LockLinkSql, new { Key = $"{recordingId}/{linkKey}" }, transaction,
                    cancellationToken: cancellationToken));
            var existing = await find(connection, transaction);
            var row = existing ?? await insert(connection, transaction, recording);
            await AuditLog.WriteAsync(connection, transaction,
                new AuditEntry(caller.UserId, action, AuditOutcomes.Success, recordingId, auditDetails(row, existing is null)), request,
                cancellationToken);
            if (existing is null)
            {
                logger.LogInformation("Recording {RecordingId} of user {UserId} linked: {Link}", recordingId, caller.UserId, linkKey);
            }
            return new Linked<T>(row, existing is null);
        }, cancellationToken);

    // Fixed wording with the id only: a user's title in a prompt would be text an AI worker obeys.
    private static string PromptFor(string taskType, long recordingId) => taskType switch
    {
        "transcription" => $"Transcribe recording {recordingId}",
        "thumbnail" => $"Generate a thumbnail for recording {recordingId}",
        "analysis" => $"Analyse recording {recordingId}",
        "captions" => $"Generate captions for recording {recordingId}",
        _ => throw new ArgumentOutOfRangeException(nameof(taskType), taskType, "not a validated task type"),
    };

    private static Failure RecordingNotFound(long id) => Failure.NotFound($"Recording {id} does not exist.");

    private sealed class LinkedRecording
    {
        public int? ProjectId { get; init; }
        public string Title { get; init; } = "";
        public string Status { get; init; } = "";
        public bool HasThumbnail { get; init; }
    }
}
