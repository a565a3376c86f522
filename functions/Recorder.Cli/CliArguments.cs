namespace Recorder.Cli;

/// <summary>
/// After the command: an optional subcommand word first (<c>recorder report storage</c>), then
/// <c>--name value</c> pairs; a name may repeat.
/// </summary>
public sealed class CliArguments
{
    private readonly Dictionary<string, List<string>> values = new(StringComparer.Ordinal);

    /// <summary>The word right after the command, if one came before any option.</summary>
    public string? Subcommand { get; private set; }

    public static CliArguments Parse(IEnumerable<string> args)
    {
        var parsed = new CliArguments();
        using var cursor = args.GetEnumerator();
        while (cursor.MoveNext())
        {
            var name = cursor.Current;
            if (parsed.Subcommand is null && parsed.values.Count == 0 && !name.StartsWith('-'))
            {
                parsed.Subcommand = name;
                continue;
            }
            if (!name.StartsWith("--", StringComparison.Ordinal) || name.Length == 2)
            {
                throw new ArgumentException($"Unexpected argument '{name}'.");
            }
            if (!cursor.MoveNext())
            {
                throw new ArgumentException($"Option '{name}' needs a value.");
            }
            var key = name[2..];
            if (!parsed.values.TryGetValue(key, out var list))
            {
                parsed.values[key] = list = [];
            }
            list.Add(cursor.Current);
        }
        return parsed;
    }

    public string? Single(string name)
        => values.TryGetValue(name, out var list)
            ? (list.Count == 1 ? list[0] : throw new ArgumentException($"Option '--{name}' is given more than once.")) : null;

    public IReadOnlyList<string> Many(string name) => values.TryGetValue(name, out var list) ? list : [];
}
