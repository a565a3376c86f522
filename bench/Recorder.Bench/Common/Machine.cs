using System.Globalization;

namespace Recorder.Bench.Common;

/// <summary>What the figures were measured on, and what else was using it.</summary>
public static class Machine
{
    public static string Describe()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var memoryKb = MemInfoKb("MemTotal");
        return string.Create(CultureInfo.InvariantCulture,
            $"Machine: {Environment.ProcessorCount} CPUs (nproc), {memoryKb / 1024.0 / 1024.0:0.0} GiB memory, {cpu}; {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; .NET {Environment.Version}.");
    }

    /// <summary>
    /// The load average and the busiest other processes at the end of the run: the machine is shared,
    /// and a ratio against a baseline of the same run is what holds on it, not the absolute figures.
    /// </summary>
    public static string Contention()
    {
        var load = File.ReadAllText("/proc/loadavg").Split(' ')[..3];
        var others = OtherBusyProcesses();
        return string.Create(CultureInfo.InvariantCulture,
            $"Load average at the end (1/5/15 min): {string.Join(" / ", load)} on {Environment.ProcessorCount} CPUs. ") +
            "The load includes the benchmark's own; on a small shared machine absolute figures are noisy, and the ratios " +
            "against the baseline measured in the same run are the figures to compare." +
            (others.Length > 0 ? $" Busiest other processes (CPU since each started): {others}." : "") + Environment.NewLine;
    }

    public static long MemInfoKb(string key)
        => long.Parse(File.ReadLines("/proc/meminfo").First(line => line.StartsWith(key + ":", StringComparison.Ordinal)).Split(':', 2)[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);

    private static string OtherBusyProcesses()
    {
        var self = Environment.ProcessId;
        var busy = new List<(string Name, long Ticks)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == self)
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var name = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                busy.Add((name, long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)));
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }
        return string.Join(", ", busy.GroupBy(p => p.Name).Select(g => (g.Key, Seconds: g.Sum(p => p.Ticks) / 100.0))
            .OrderByDescending(p => p.Seconds).Take(5).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} ({p.Seconds:0} CPU-s total)")));
    }
}
