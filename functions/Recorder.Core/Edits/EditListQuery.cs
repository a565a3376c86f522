using System.Globalization;
using Microsoft.AspNetCore.Http;
using Recorder.Core.Api;
using Recorder.Core.Recordings;

namespace Recorder.Core.Edits;

/// <summary>
/// The page of <c>GET /api/recordings/{id}/edits</c>: <c>limit</c> (the recordings list's bounds) and an
/// opaque <c>cursor</c>, the base64url of the last listed edit's sequence. Sequences never change, so
/// pages are stable while the history grows or edits change state.
/// </summary>
public sealed record EditListQuery(int Limit, int AfterSequence)
{
    private static readonly string[] KnownParameters = ["limit", "cursor"];

    public static ServiceResult<EditListQuery> Parse(IQueryCollection query, RecordingsOptions options)
    {
        var errors = new ValidationErrors();
        QueryParameters.RejectUnknown(query, KnownParameters, errors);
        var limit = QueryParameters.Limit(query, errors, options.ListDefaultLimit, options.ListMaxLimit);
        var after = 0;
        if (QueryParameters.Single(query, "cursor", errors) is { } cursorText)
        {
            if (KeysetCursor.DecodeNumber(cursorText) is { } decoded && decoded <= int.MaxValue)
            {
                after = (int)decoded;
            }
            else
            {
                errors.Add("cursor", "is not a cursor this API returned.");
            }
        }
        return errors.Any ? errors.ToFailure() : new EditListQuery(limit, after);
    }

    public static string EncodeCursor(int sequence) => KeysetCursor.EncodeNumber(sequence);
}
