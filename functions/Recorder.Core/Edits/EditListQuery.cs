using System.Buffers.Text;
using System.Globalization;
using System.Text;
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
        foreach (var unknown in query.Keys.Where(key => !KnownParameters.Contains(key)))
        {
            errors.Add(unknown, $"is not a known parameter ({string.Join(", ", KnownParameters)}).");
        }
        var limit = options.ListDefaultLimit;
        if (Single(query, "limit", errors) is { } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > options.ListMaxLimit))
        {
            errors.Add("limit", $"must be a whole number from 1 to {options.ListMaxLimit}.");
        }
        var after = 0;
        if (Single(query, "cursor", errors) is { } cursorText)
        {
            if (DecodeCursor(cursorText) is { } decoded)
            {
                after = decoded;
            }
            else
            {
                errors.Add("cursor", "is not a cursor this API returned.");
            }
        }
        return errors.Any ? errors.ToFailure() : new EditListQuery(limit, after);
    }

    public static string EncodeCursor(int sequence)
        => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(sequence.ToString(CultureInfo.InvariantCulture)));

    private static int? DecodeCursor(string text)
    {
        try
        {
            return int.TryParse(Encoding.ASCII.GetString(Base64Url.DecodeFromChars(text)), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) && sequence > 0
                ? sequence
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
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
