using System.Collections.Frozen;

namespace Recorder.Core.Security;

/// <summary>What a caller may do with its own recordings. A session cookie carries all of them.</summary>
public static class RecordingScopes
{
    public const string Read = "recordings:read";
    public const string Write = "recordings:write";
    public const string Delete = "recordings:delete";

    public static readonly IReadOnlySet<string> All = new[] { Read, Write, Delete }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The known scopes of an OAuth-style space-separated <c>scope</c> value; unknown ones are ignored.</summary>
    public static IReadOnlySet<string> Parse(string? scope)
        => (scope ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(All.Contains).ToFrozenSet(StringComparer.Ordinal);
}
