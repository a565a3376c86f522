using System.Globalization;

namespace Recorder.Bench.Common;

/// <summary>
/// CPU time (user + system) of one process and of the PostgreSQL backends serving one database (found by
/// their process title, which names the database), from /proc: where a request's cost goes.
/// </summary>
public static class CpuMeter
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public static (double ProcessSeconds, double DatabaseSeconds) Sample(int pid, string database)
    {
        var backends = 0.0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var id))
            {
                continue;
            }
            try
            {
                var title = File.ReadAllText(Path.Combine(directory, "cmdline"));
                if (title.StartsWith("postgres: ", StringComparison.Ordinal) && title.Contains(" " + database + " ", StringComparison.Ordinal))
                {
                    backends += Seconds(id);
                }
            }
            catch (IOException)
            {
                // Gone while we looked.
            }
        }
        return (Seconds(pid), backends);
    }

    private static double Seconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
