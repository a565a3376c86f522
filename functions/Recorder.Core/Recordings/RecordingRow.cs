using System.Text.Json;

namespace Recorder.Core.Recordings;

/// <summary>A row of <c>recordings</c> as the API reads it.</summary>
public sealed class RecordingRow
{
    /// <summary>The select list matching this type's properties.</summary>
    public const string Columns = """
        id AS Id, user_id AS UserId, project_id AS ProjectId, title AS Title, description AS Description,
        recording_type AS RecordingType, duration AS Duration, file_size AS FileSize, mime_type AS MimeType,
        blob_name AS BlobName, thumbnail_blob_name AS ThumbnailBlobName, quality AS Quality, status AS Status,
        failure_code AS FailureCode, failure_reason AS FailureReason, media_blob_name AS MediaBlobName, metadata::text AS Metadata,
        live AS Live, recovered_at IS NOT NULL AS Recovered, created_at AS CreatedAt, updated_at AS UpdatedAt,
        completed_at AS CompletedAt
        """;

    public long Id { get; init; }
    public string UserId { get; init; } = "";
    public int? ProjectId { get; init; }
    public string Title { get; init; } = "";
    public string? Description { get; init; }
    public string RecordingType { get; init; } = "";
    public decimal? Duration { get; init; }
    public long FileSize { get; init; }
    public string MimeType { get; init; } = "";
    public string BlobName { get; init; } = "";
    public string? ThumbnailBlobName { get; init; }
    public string Quality { get; init; } = "";
    public string Status { get; init; } = "";
    public string? FailureCode { get; init; }
    public string? FailureReason { get; init; }

    /// <summary>The seekable copy in the processed container, when ingest made one; else the upload is the media.</summary>
    public string? MediaBlobName { get; init; }
    public string Metadata { get; init; } = "{}";

    /// <summary>Uploaded while it was being recorded (docs/ingest.md, "Live uploads").</summary>
    public bool Live { get; init; }

    /// <summary>Committed by the server from what storage held after its browser went silent.</summary>
    public bool Recovered { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
    public DateTime? CompletedAt { get; init; }

    public JsonElement MetadataJson() => JsonDocument.Parse(Metadata).RootElement.Clone();
}

/// <summary>
/// A recording as the API returns it. URLs are short-lived read SAS links, never raw storage URLs. <c>Slides</c> is the slide
/// timeline of <c>metadata.slides</c> as the edits' trim leaves it (<see cref="SlideTimeline.Effective"/>).
/// </summary>
public sealed record RecordingView(
    long Id,
    string Title,
    string? Description,
    string RecordingType,
    string Status,
    string? FailureCode,
    string? FailureReason,
    decimal? Duration,
    long FileSize,
    string MimeType,
    string Quality,
    int? ProjectId,
    JsonElement Metadata,
    bool Live,
    bool Recovered,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    DateTime? CompletedAt,
    Uri? MediaUrl,
    Uri? ThumbnailUrl,
    DateTimeOffset? UrlsExpireAt,
    Edits.EditState? Edits = null,
    SlideTimelineView? Slides = null)
{
    public static RecordingView From(RecordingRow row, Uri? mediaUrl, Uri? thumbnailUrl, DateTimeOffset? urlsExpireAt) => new(
        row.Id, row.Title, row.Description, row.RecordingType, row.Status, row.FailureCode, row.FailureReason, row.Duration, row.FileSize,
        row.MimeType, row.Quality, row.ProjectId, row.MetadataJson(), row.Live, row.Recovered, row.CreatedAt, row.UpdatedAt,
        row.CompletedAt, mediaUrl, thumbnailUrl, urlsExpireAt);
}
