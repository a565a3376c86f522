namespace Recorder.Cli;

/// <summary><c>--name value</c> pairs after the command; a name may repeat.</summary>
public sealed class CliArguments
{
    private readonly Dictionary<string, List<string>> values = new(StringComparer.Ordinal);

    public static CliArguments Parse(IEnumerable<string> args)
    {
        var parsed = new CliArguments();
        using var cursor = args.GetEnumerator();
        while (cursor.MoveNext())
        {
            var name = cursor.Current;
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
        => values.TryGetValue(name, out var list) ? (list.Count == 1 ? list[0] : throw new ArgumentException($"Option '--{name}' is given more than once.")) : null;

    public IReadOnlyList<string> Many(string name) => values.TryGetValue(name, out var list) ? list : [];
}
