using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Recorder.Core.Api;

/// <summary>The query-string rules every list of this API follows: known names only, each once, storable text, a bounded limit.</summary>
public static class QueryParameters
{
    public static void RejectUnknown(IQueryCollection query, IReadOnlyCollection<string> known, ValidationErrors errors)
    {
        foreach (var unknown in query.Keys.Where(key => !known.Contains(key)))
        {
            errors.Add(unknown, $"is not a known parameter ({string.Join(", ", known)}).");
        }
    }

    /// <summary>The parameter's value, or null when absent; given more than once, or as text that cannot be stored, is an error.</summary>
    public static string? Single(IQueryCollection query, string name, ValidationErrors errors)
    {
        if (!query.TryGetValue(name, out var values))
        {
            return null;
        }
        if (values.Count > 1)
        {
            errors.Add(name, "must be given once.");
        }
        if (StorableText.ProblemOf(values[0]) is { } problem)
        {
            errors.Add(name, problem);
            return null;
        }
        return values[0];
    }

    /// <summary>
    /// <c>limit</c>: a whole number from 1 to <paramref name="maxLimit"/>, else <paramref name="defaultLimit"/> when absent.
    /// </summary>
    public static int Limit(IQueryCollection query, ValidationErrors errors, int defaultLimit, int maxLimit)
    {
        if (Single(query, "limit", errors) is not { } text)
        {
            return defaultLimit;
        }
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit >= 1 && limit <= maxLimit)
        {
            return limit;
        }
        errors.Add("limit", $"must be a whole number from 1 to {maxLimit}.");
        return defaultLimit;
    }
}
