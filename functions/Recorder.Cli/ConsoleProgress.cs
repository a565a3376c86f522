using System.Globalization;

namespace Recorder.Cli;

/// <summary>Where a long command has got to: items done of a total, and the item at hand.</summary>
public readonly record struct ProgressStep(int Done, int Total, string Item);

/// <summary>
/// A progress bar for long commands (export, erase, import). On a terminal it redraws one line in
/// place; redirected (CI, a log file) it writes a plain line per step, so logs stay readable.
/// </summary>
public sealed class ConsoleProgress(TextWriter output, string label, bool interactive) : IProgress<ProgressStep>
{
    private const int BarWidth = 30;
    private readonly Lock gate = new();
    private int lastLength;

    /// <summary>A bar on the console's standard output when that is a terminal, plain lines otherwise.</summary>
    public static ConsoleProgress ForConsole(TextWriter output, string label)
        => new(output, label, ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected);

    public void Report(ProgressStep value)
    {
        lock (gate)
        {
            var total = Math.Max(value.Total, 0);
            var done = Math.Clamp(value.Done, 0, Math.Max(total, value.Done));
            var filled = total == 0 ? BarWidth : (int)((long)BarWidth * Math.Min(done, total) / total);
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{label} [{new string('#', filled)}{new string('.', BarWidth - filled)}] {done}/{total} {value.Item}");
            if (interactive)
            {
                output.Write('\r' + line.PadRight(lastLength));
                lastLength = line.Length;
            }
            else
            {
                output.WriteLine(line);
            }
        }
    }

    /// <summary>Ends the bar's line, so what follows starts on a line of its own.</summary>
    public void Complete()
    {
        lock (gate)
        {
            if (interactive && lastLength > 0)
            {
                output.WriteLine();
                lastLength = 0;
            }
        }
    }
}
