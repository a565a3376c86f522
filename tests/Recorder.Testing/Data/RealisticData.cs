using System.Globalization;

namespace Recorder.Testing.Data;

/// <summary>
/// The app's tables filled as production fills them (RealisticData.sql): many users with skewed recording
/// counts, created over 406 days, 95 % completed; sessions and edits for a share of the recordings. The
/// database benchmark loads millions of rows with it; the query plan tests a few thousand, so the planner
/// chooses on realistic statistics.
/// </summary>
public static class RealisticData
{
    /// <summary>The statements that fill a freshly migrated database, in order.</summary>
    /// <param name="skew">Owner rank is floor(users × random()^skew): the larger, the heavier the heaviest users.</param>
    /// <param name="sessionRatio">Share of recordings with a recording session.</param>
    /// <param name="editRatio">About twice the share of recordings with edits (one to three each).</param>
    public static IReadOnlyList<string> Statements(int users, int recordings, double skew = 2.5, double sessionRatio = 0.5, double editRatio = 0.2)
    {
        using var stream = typeof(RealisticData).Assembly.GetManifestResourceStream("RealisticData.sql")
            ?? throw new InvalidOperationException("RealisticData.sql is not embedded in Recorder.Testing.");
        var sql = new StreamReader(stream).ReadToEnd()
            .Replace("{users}", users.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{recordings}", recordings.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{skew}", skew.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{session_ratio}", sessionRatio.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{edit_ratio}", editRatio.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        return sql.Split(";\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(statement => string.Join('\n', statement.Split('\n').Where(line => !line.TrimStart().StartsWith("--", StringComparison.Ordinal))).Trim())
            .Where(statement => statement.Length > 0)
            .ToList();
    }
}
