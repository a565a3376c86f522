namespace Recorder.Core.Links;

/// <summary>A row made from a recording, and whether this call made it (201) or found it (200).</summary>
public sealed record Linked<T>(T Row, bool Created);

/// <summary>
/// A <c>content</c> row made from a recording. Timestamps are the app's <c>TIMESTAMP</c> columns as
/// stored (no time zone). <see cref="VideoUrl"/> and <see cref="ThumbnailUrl"/> hold
/// <see cref="RecordingReferences"/> references, not fetchable URLs.
/// </summary>
public sealed class ContentLink
{
    public const string Columns = """
        id AS Id, (metadata ->> 'recordingId')::bigint AS RecordingId, project_id AS ProjectId, title AS Title,
        description AS Description, platform AS Platform, content_type AS ContentType, status AS Status,
        video_url AS VideoUrl, thumbnail_url AS ThumbnailUrl, tags AS Tags, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    public int Id { get; init; }
    public long RecordingId { get; init; }
    public int? ProjectId { get; init; }
    public string Title { get; init; } = "";
    public string? Description { get; init; }
    public string Platform { get; init; } = "";
    public string ContentType { get; init; } = "";
    public string Status { get; init; } = "";
    public string? VideoUrl { get; init; }
    public string? ThumbnailUrl { get; init; }
    public string[]? Tags { get; init; }
    public DateTime? CreatedAt { get; init; }
    public DateTime? UpdatedAt { get; init; }
}

/// <summary>A <c>social_posts</c> row made from a recording; <see cref="MediaUrls"/> holds its media reference.</summary>
public sealed class SocialPostLink
{
    public const string Columns = """
        id AS Id, (metadata ->> 'recordingId')::bigint AS RecordingId, project_id AS ProjectId, title AS Title,
        caption AS Caption, hashtags AS Hashtags, content_type AS ContentType, status AS Status,
        media_urls AS MediaUrls, thumbnail_url AS ThumbnailUrl, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    public int Id { get; init; }
    public long RecordingId { get; init; }
    public int? ProjectId { get; init; }
    public string Title { get; init; } = "";
    public string? Caption { get; init; }
    public string[]? Hashtags { get; init; }
    public string ContentType { get; init; } = "";
    public string Status { get; init; } = "";
    public string[]? MediaUrls { get; init; }
    public string? ThumbnailUrl { get; init; }
    public DateTime? CreatedAt { get; init; }
    public DateTime? UpdatedAt { get; init; }
}

/// <summary>An <c>ai_generation_tasks</c> row about a recording, with the status the app's worker keeps.</summary>
public sealed class AiTaskLink
{
    public const string Columns = """
        id AS Id, (metadata ->> 'recordingId')::bigint AS RecordingId, task_type AS TaskType, status AS Status,
        prompt AS Prompt, result AS Result, created_at AS CreatedAt, completed_at AS CompletedAt
        """;

    public int Id { get; init; }
    public long RecordingId { get; init; }
    public string TaskType { get; init; } = "";
    public string Status { get; init; } = "";
    public string Prompt { get; init; } = "";
    public string? Result { get; init; }
    public DateTime? CreatedAt { get; init; }
    public DateTime? CompletedAt { get; init; }
}

public sealed record AiTaskPage(IReadOnlyList<AiTaskLink> Items, string? NextCursor);
