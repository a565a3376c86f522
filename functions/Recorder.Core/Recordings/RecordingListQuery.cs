using System.Globalization;
using Microsoft.AspNetCore.Http;
using Recorder.Core.Api;

namespace Recorder.Core.Recordings;

/// <summary>The filters and page of <c>GET /api/recordings</c>, parsed from the query string.</summary>
public sealed record RecordingListQuery(int Limit, RecordingCursor? After, string? Type, int? ProjectId, string? Status, string? TitleContains)
{
    private static readonly HashSet<string> KnownParameters = ["limit", "cursor", "type", "projectId", "status", "q"];

    public static ServiceResult<RecordingListQuery> Parse(IQueryCollection query, RecordingsOptions options)
    {
        var errors = new ValidationErrors();
        foreach (var unknown in query.Keys.Where(key => !KnownParameters.Contains(key)))
        {
            errors.Add(unknown, $"is not a known parameter ({string.Join(", ", KnownParameters)}).");
        }

        var limit = options.ListDefaultLimit;
        if (Single(query, "limit", errors) is { } limitText && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > options.ListMaxLimit))
        {
            errors.Add("limit", $"must be a whole number from 1 to {options.ListMaxLimit}.");
        }
        RecordingCursor? after = null;
        if (Single(query, "cursor", errors) is { } cursorText && (after = RecordingCursor.Decode(cursorText)) is null)
        {
            errors.Add("cursor", "is not a cursor this API returned.");
        }
        var type = errors.OneOf("type", Single(query, "type", errors), RecordingTypes.All, required: false);
        var status = errors.OneOf("status", Single(query, "status", errors), RecordingTypes.Statuses, required: false);
        int? projectId = null;
        if (Single(query, "projectId", errors) is { } projectText)
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
        var titleContains = errors.OptionalText("q", Single(query, "q", errors)?.Trim(), 200);

        return errors.Any
            ? errors.ToFailure()
            : new RecordingListQuery(limit, after, type, projectId, status, string.IsNullOrEmpty(titleContains) ? null : titleContains);
    }

    private static string? Single(IQueryCollection query, string name, ValidationErrors errors)
    {
        if (!query.TryGetValue(name, out var values))
        {
            return null;
        }
        if (values.Count > 1)
        {
            errors.Add(name, "must be given once.");
        }
        return values[0];
    }
}

/// <summary>Keyset position in the newest-first list: the last item's (created_at, id).</summary>
public sealed record RecordingCursor(DateTime CreatedAt, long Id)
{
    public string Encode() => KeysetCursor.Encode(CreatedAt, Id);

    public static RecordingCursor? Decode(string text) => KeysetCursor.Decode(text) is { } position ? new RecordingCursor(position.At, position.Id) : null;
}
