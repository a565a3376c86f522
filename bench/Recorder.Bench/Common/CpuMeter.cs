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

    /// <summary>CPU time of the process itself (user + system), in seconds; 0 once it is gone.</summary>
    public static double Seconds(int pid) => StatSeconds(pid, 11);

    /// <summary>CPU time of the process's children that ended and were waited for (its ffprobe/ffmpeg runs), in seconds.</summary>
    public static double EndedChildrenSeconds(int pid) => StatSeconds(pid, 13);

    /// <summary>Busy and total CPU time of the whole machine (all CPUs, from /proc/stat), in seconds.</summary>
    public static (double Busy, double Total) MachineSeconds()
    {
        // cpu user nice system idle iowait irq softirq steal …: idle and iowait are the only time not spent running.
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..9]
            .Select(field => long.Parse(field, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Sum();
        return ((total - fields[3] - fields[4]) / TicksPerSecond, total / TicksPerSecond);
    }

    // /proc/PID/stat after the command: utime and stime at 11 and 12, cutime and cstime at 13 and 14 (clock ticks).
    private static double StatSeconds(int pid, int first)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[first], CultureInfo.InvariantCulture) + long.Parse(fields[first + 1], CultureInfo.InvariantCulture))
                / TicksPerSecond;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
