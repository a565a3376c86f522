using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Recorder.Core.Migrations;

/// <summary>One numbered file of migrations/, e.g. <c>001_add_recordings_table.sql</c>.</summary>
public sealed partial record MigrationScript(string Name, string Sql, string Checksum, bool RunsInTransaction)
{
    /// <summary>
    /// First-line marker for files that cannot run inside a transaction (CREATE INDEX CONCURRENTLY).
    /// Their statements run one by one and must be idempotent (IF NOT EXISTS), since a failure
    /// half-way leaves the earlier ones applied.
    /// </summary>
    public const string NoTransactionMarker = "-- recorder:no-transaction";

    /// <summary>The file's number, which decides its order (<c>001</c> of <c>001_add_recordings_table.sql</c>).</summary>
    public int Number => NumberOf(Name);

    /// <summary>The number of a migration named <c>NNN_name.sql</c>.</summary>
    public static int NumberOf(string name) => int.Parse(name.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture);

    public static MigrationScript FromText(string name, string text)
    {
        // Checksums ignore line endings, so a checkout with CRLF is not "an edited migration".
        var normalized = text.ReplaceLineEndings("\n");
        var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalized)));
        var runsInTransaction = !normalized.TrimStart().StartsWith(NoTransactionMarker, StringComparison.Ordinal);
        return new MigrationScript(name, normalized, checksum, runsInTransaction);
    }

    /// <summary>The files of a migrations folder in the order they apply; names must be unique by number.</summary>
    public static IReadOnlyList<MigrationScript> LoadDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new MigrationException($"Migrations folder not found: {directory}");
        }
        var scripts = Directory.GetFiles(directory, "*.sql")
            .Select(path => (Name: Path.GetFileName(path), Path: path))
            .OrderBy(file => file.Name, StringComparer.Ordinal)
            .Select(file => FileName().IsMatch(file.Name)
                ? FromText(file.Name, File.ReadAllText(file.Path))
                : throw new MigrationException($"Migration file name '{file.Name}' does not match NNN_lower_snake_name.sql."))
            .ToList();
        var duplicate = scripts.GroupBy(s => s.Name[..3]).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new MigrationException(
                $"Two migrations share the number {duplicate.Key}: {string.Join(", ", duplicate.Select(s => s.Name))}.");
        }
        return scripts;
    }

    /// <summary>
    /// Statements of a no-transaction file, split at semicolons that end a line. Such files hold
    /// plain DDL only (no function bodies or quoted semicolons), which keeps this split exact.
    /// </summary>
    public IEnumerable<string> SplitStatements()
        => StatementEnd().Split(Sql)
            .Select(StripComments)
            .Where(statement => statement.Length > 0);

    /// <summary>The indexes the file builds with CREATE INDEX CONCURRENTLY, as it names them (IF NOT EXISTS needs a name).</summary>
    public IEnumerable<string> ConcurrentIndexNames()
        => SplitStatements().Select(statement => ConcurrentIndex().Match(statement)).Where(match => match.Success)
            .Select(match => match.Groups["name"].Value);

    private static string StripComments(string statement)
        => string.Join('\n', statement.Split('\n').Where(line => !line.TrimStart().StartsWith("--", StringComparison.Ordinal))).Trim();

    [GeneratedRegex(@"^\d{3}_[a-z0-9_]+\.sql$")]
    private static partial Regex FileName();

    [GeneratedRegex(
        """^CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?(?!ON\s)""" +
        """(?<name>(?:"[^"]+"|[a-z_][a-z0-9_$]*)(?:\.(?:"[^"]+"|[a-z_][a-z0-9_$]*))?)\s""",
        RegexOptions.IgnoreCase)]
    private static partial Regex ConcurrentIndex();

    [GeneratedRegex(@";[ \t]*(?:\n|$)")]
    private static partial Regex StatementEnd();
}

public sealed class MigrationException(string message, Exception? innerException = null) : Exception(message, innerException);
