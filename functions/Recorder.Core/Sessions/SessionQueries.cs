using System.Globalization;
using Microsoft.AspNetCore.Http;
using Recorder.Core.Api;
using Recorder.Core.Recordings;

namespace Recorder.Core.Sessions;

/// <summary>The filters and page of <c>GET /api/recording-sessions</c>, parsed from the query string.</summary>
/// <param name="From">Inclusive lower bound on started_at.</param>
/// <param name="To">Exclusive upper bound on started_at.</param>
public sealed record SessionListQuery(
    int Limit, SessionCursor? After, string? Status, string? Type, DateTimeOffset? From, DateTimeOffset? To)
{
    private static readonly string[] KnownParameters = ["limit", "cursor", "status", "type", "from", "to"];

    public static ServiceResult<SessionListQuery> Parse(IQueryCollection query, SessionOptions options)
    {
        var errors = new ValidationErrors();
        QueryParameters.RejectUnknown(query, KnownParameters, errors);

        var limit = QueryParameters.Limit(query, errors, options.ListDefaultLimit, options.ListMaxLimit);
        SessionCursor? after = null;
        if (QueryParameters.Single(query, "cursor", errors) is { } cursorText && (after = SessionCursor.Decode(cursorText)) is null)
        {
            errors.Add("cursor", "is not a cursor this API returned.");
        }
        var status = errors.OneOf("status", QueryParameters.Single(query, "status", errors), SessionStatuses.All, required: false);
        var type = errors.OneOf("type", QueryParameters.Single(query, "type", errors), RecordingTypes.All, required: false);
        var from = SessionQueryString.Timestamp(query, "from", errors);
        var to = SessionQueryString.Timestamp(query, "to", errors);
        if (from >= to)
        {
            errors.Add("to", "must be later than from.");
        }

        return errors.Any ? errors.ToFailure() : new SessionListQuery(limit, after, status, type, from, to);
    }
}

/// <summary>Keyset position in the newest-first list: the last item's (started_at, id).</summary>
public sealed record SessionCursor(DateTime StartedAt, long Id)
{
    public string Encode() => KeysetCursor.Encode(StartedAt, Id);

    public static SessionCursor? Decode(string text)
        => KeysetCursor.Decode(text) is { } position ? new SessionCursor(position.At, position.Id) : null;
}

/// <summary>The window of <c>GET /api/recording-sessions/stats</c>: [From, To) on started_at.</summary>
public sealed record SessionStatsQuery(DateTimeOffset From, DateTimeOffset To)
{
    private static readonly string[] KnownParameters = ["from", "to"];

    /// <summary>
    /// <c>to</c> defaults to now, <c>from</c> to <see cref="SessionOptions.StatsDefaultWindow"/> (7 days) before <c>to</c>.
    /// </summary>
    public static ServiceResult<SessionStatsQuery> Parse(IQueryCollection query, SessionOptions options, DateTimeOffset now)
    {
        var errors = new ValidationErrors();
        QueryParameters.RejectUnknown(query, KnownParameters, errors);
        var from = SessionQueryString.Timestamp(query, "from", errors);
        var to = SessionQueryString.Timestamp(query, "to", errors);
        if (errors.Any)
        {
            return errors.ToFailure();
        }

        var end = to ?? now;
        var begin = from ?? end - options.StatsDefaultWindow;
        if (begin >= end)
        {
            errors.Add("to", "must be later than from.");
        }
        else if (end - begin > options.StatsMaxWindow)
        {
            errors.Add("to", $"must be at most {options.StatsMaxWindow.TotalDays.ToString(CultureInfo.InvariantCulture)} days after from.");
        }
        return errors.Any ? errors.ToFailure() : new SessionStatsQuery(begin, end);
    }
}

/// <summary>ISO 8601 timestamps in the session lists' query strings.</summary>
internal static class SessionQueryString
{
    // A date, or a date and time with an optional offset (none means UTC).
    private static readonly string[] IsoFormats = ["yyyy-MM-dd", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];

    public static DateTimeOffset? Timestamp(IQueryCollection query, string name, ValidationErrors errors)
    {
        if (QueryParameters.Single(query, name, errors) is not { } text)
        {
            return null;
        }
        if (DateTimeOffset.TryParseExact(text, IsoFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            return value;
        }
        // An unencoded '+' of an offset arrives as a space.
        errors.Add(name, "must be an ISO 8601 date or timestamp, e.g. 2026-03-01 or 2026-03-01T08:00:00Z (encode a '+' offset as %2B).");
        return null;
    }
}
