using System.Globalization;
using Microsoft.AspNetCore.Http;
using Recorder.Core.Api;

namespace Recorder.Core.Recordings;

/// <summary>The filters and page of <c>GET /api/recordings</c>, parsed from the query string.</summary>
public sealed record RecordingListQuery(
    int Limit, RecordingCursor? After, string? Type, int? ProjectId, string? Status, string? TitleContains)
{
    private static readonly HashSet<string> KnownParameters = ["limit", "cursor", "type", "projectId", "status", "q"];

    public static ServiceResult<RecordingListQuery> Parse(IQueryCollection query, RecordingsOptions options)
    {
        var errors = new ValidationErrors();
        QueryParameters.RejectUnknown(query, KnownParameters, errors);
        var limit = QueryParameters.Limit(query, errors, options.ListDefaultLimit, options.ListMaxLimit);
        RecordingCursor? after = null;
        if (QueryParameters.Single(query, "cursor", errors) is { } cursorText && (after = RecordingCursor.Decode(cursorText)) is null)
        {
            errors.Add("cursor", "is not a cursor this API returned.");
        }
        var type = errors.OneOf("type", QueryParameters.Single(query, "type", errors), RecordingTypes.All, required: false);
        var status = errors.OneOf("status", QueryParameters.Single(query, "status", errors), RecordingTypes.Statuses, required: false);
        int? projectId = null;
        if (QueryParameters.Single(query, "projectId", errors) is { } projectText)
        {
            if (int.TryParse(projectText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0)
            {
                projectId = parsed;
            }
            else
            {
                errors.Add("projectId", "must be a positive id.");
            }
        }
        var titleContains = errors.OptionalText("q", QueryParameters.Single(query, "q", errors)?.Trim(), 200);

        return errors.Any
            ? errors.ToFailure()
            : new RecordingListQuery(limit, after, type, projectId, status, string.IsNullOrEmpty(titleContains) ? null : titleContains);
    }
}

/// <summary>Keyset position in the newest-first list: the last item's (created_at, id).</summary>
public sealed record RecordingCursor(DateTime CreatedAt, long Id)
{
    public string Encode() => KeysetCursor.Encode(CreatedAt, Id);

    public static RecordingCursor? Decode(string text)
        => KeysetCursor.Decode(text) is { } position ? new RecordingCursor(position.At, position.Id) : null;
}
