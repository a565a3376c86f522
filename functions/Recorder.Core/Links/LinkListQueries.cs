using System.Globalization;
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
        QueryParameters.RejectUnknown(query, ["limit", "cursor"], errors);
        var limit = QueryParameters.Limit(query, errors, options.ListDefaultLimit, options.ListMaxLimit);
        int? beforeId = null;
        if (QueryParameters.Single(query, "cursor", errors) is { } cursorText)
        {
            if (KeysetCursor.DecodeNumber(cursorText) is { } decoded && decoded <= int.MaxValue)
            {
                beforeId = (int)decoded;
            }
            else
            {
                errors.Add("cursor", "is not a cursor this API returned.");
            }
        }
        return errors.Any ? errors.ToFailure() : new AiTaskListQuery(limit, beforeId);
    }

    /// <summary>Opaque to clients: base64url of the last item's id.</summary>
    public static string EncodeCursor(int lastId) => KeysetCursor.EncodeNumber(lastId);
}
