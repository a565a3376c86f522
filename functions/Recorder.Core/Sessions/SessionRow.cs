using System.Text.Json;

namespace Recorder.Core.Sessions;

/// <summary>A row of <c>recording_sessions</c> as the API reads it.</summary>
public sealed class SessionRow
{
    /// <summary>The select (and RETURNING) list matching this type's properties.</summary>
    public const string Columns = """
        id AS Id, recording_type AS RecordingType, status AS Status, started_at AS StartedAt,
        ended_at AS EndedAt, last_heartbeat_at AS LastHeartbeatAt, duration AS Duration, device_info::text AS DeviceInfo,
        settings::text AS Settings, error_message AS ErrorMessage, error_code AS ErrorCode, recording_id AS RecordingId,
        created_at AS CreatedAt
        """;

    public long Id { get; init; }
    public string RecordingType { get; init; } = "";
    public string Status { get; init; } = "";
    public DateTime StartedAt { get; init; }
    public DateTime? EndedAt { get; init; }
    public DateTime LastHeartbeatAt { get; init; }
    public decimal? Duration { get; init; }
    public string DeviceInfo { get; init; } = "{}";
    public string Settings { get; init; } = "{}";
    public string? ErrorMessage { get; init; }
    public string? ErrorCode { get; init; }
    public long? RecordingId { get; init; }
    public DateTime CreatedAt { get; init; }
}

/// <summary>A recording session as the API returns it.</summary>
/// <param name="DeviceInfo"><c>{ client: what the page sent, server: what the server read from the User-Agent }</c>.</param>
public sealed record SessionView(
    long Id,
    string RecordingType,
    string Status,
    DateTime StartedAt,
    DateTime? EndedAt,
    DateTime LastHeartbeatAt,
    decimal? Duration,
    long? RecordingId,
    string? ErrorMessage,
    string? ErrorCode,
    JsonElement Settings,
    JsonElement DeviceInfo,
    DateTime CreatedAt)
{
    public static SessionView From(SessionRow row) => new(
        row.Id, row.RecordingType, row.Status, row.StartedAt, row.EndedAt, row.LastHeartbeatAt, row.Duration, row.RecordingId,
        row.ErrorMessage, row.ErrorCode, Parse(row.Settings), Parse(row.DeviceInfo), row.CreatedAt);

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}

public sealed record SessionPage(IReadOnlyList<SessionView> Items, string? NextCursor);
