using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Recorder.Core.Api;
using Recorder.Core.Recordings;

namespace Recorder.Core.Links;

/// <summary>
/// <c>GET /api/projects/{projectId}/recordings</c>: the query of <c>GET /api/recordings</c> with the
/// project taken from the route (a <c>projectId</c> parameter as well would be ambiguous: 400).
/// </summary>
public static class ProjectRecordingsQuery
{
    public static ServiceResult<RecordingListQuery> Parse(string projectId, IQueryCollection query, RecordingsOptions options)
    {
        if (!int.TryParse(projectId, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id <= 0)
        {
            return Failure.Invalid("projectId", "must be a positive whole number.");
        }
        if (query.ContainsKey("projectId"))
        {
            return Failure.Invalid("projectId", "is given by the route; it is not a query parameter here.");
        }
        var parsed = RecordingListQuery.Parse(query, options);
        return parsed.Failure is { } invalid ? invalid : parsed.Value! with { ProjectId = id };
    }
}

/// <summary>The page of <c>GET /api/recordings/{id}/ai-tasks</c>: newest first, keyset on the task id.</summary>
public sealed record AiTaskListQuery(int Limit, int? BeforeId)
{
    public static ServiceResult<AiTaskListQuery> Parse(IQueryCollection query, RecordingsOptions options)
    {
        var errors = new ValidationErrors();
        foreach (var unknown in query.Keys.Where(key => key is not ("limit" or "cursor")))
        {
            errors.Add(unknown, "is not a known parameter (limit, cursor).");
        }
        foreach (var repeated in query.Where(pair => pair.Value.Count > 1))
        {
            errors.Add(repeated.Key, "must be given once.");
        }

        var limit = options.ListDefaultLimit;
        if (query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText[0], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > options.ListMaxLimit))
        {
            errors.Add("limit", $"must be a whole number from 1 to {options.ListMaxLimit}.");
        }
        int? beforeId = null;
        if (query.TryGetValue("cursor", out var cursorText) && (beforeId = DecodeCursor(cursorText[0] ?? "")) is null)
        {
            errors.Add("cursor", "is not a cursor this API returned.");
        }
        return errors.Any ? errors.ToFailure() : new AiTaskListQuery(limit, beforeId);
    }

    /// <summary>Opaque to clients: base64url of the last item's id.</summary>
    public static string EncodeCursor(int lastId) => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(lastId.ToString(CultureInfo.InvariantCulture)));

    private static int? DecodeCursor(string text)
    {
        try
        {
            return int.TryParse(Encoding.ASCII.GetString(Base64Url.DecodeFromChars(text)), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
