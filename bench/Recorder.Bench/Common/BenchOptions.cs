using System.Globalization;

namespace Recorder.Bench.Common;

/// <summary><c>--name value</c> pairs after the benchmark's name, and the command line as typed, for the results file.</summary>
public sealed class BenchOptions(string[] args, string command)
{
    public string Command { get; } = command;

    public string? Text(string name)
    {
        var index = Array.IndexOf(args, "--" + name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    public int Int(string name, int fallback) => Text(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    public bool Flag(string name) => Array.IndexOf(args, "--" + name) >= 0;
}
