using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Recorder.Bench.Common;

/// <summary>
/// A sampling trace of a host process over a window, by dotnet-trace from the repository's tool manifest
/// (.config/dotnet-tools.json; scripts/bench.sh restores it): EventPipe's sample profiler, converted to speedscope and summarised
/// as the frames the host's threads were running managed code in. Kernel, GC and JIT time are not in it (docs: bench/results).
/// </summary>
public static class HostTrace
{
    private const string Profile = "dotnet-sampled-thread-time";

    // The converter's pseudo-frame for a sample of a thread running managed code (the other one, UNMANAGED_CODE_TIME, is a
    // thread in native code or waiting, which a thread-time profile cannot tell apart).
    private const string ManagedLeaf = "CPU_TIME";

    /// <summary>Traces <paramref name="pid"/> for <paramref name="duration"/>; returns the speedscope file.</summary>
    public static async Task<string> CollectAsync(int pid, TimeSpan duration, string nettraceFile)
    {
        var length = duration.ToString(@"dd\:hh\:mm\:ss", CultureInfo.InvariantCulture);
        await RunToolAsync(["collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "--profile", Profile, "--duration", length,
            "-o", nettraceFile]);
        var speedscope = Path.ChangeExtension(nettraceFile, null);
        await RunToolAsync(["convert", nettraceFile, "--format", "Speedscope", "-o", speedscope]);
        return speedscope + ".speedscope.json";
    }

    /// <summary>
    /// The <paramref name="top"/> frames by share of managed samples: exclusive (the frame that was running) and inclusive (on the
    /// stack), each with its percentage.
    /// </summary>
    public static (IReadOnlyList<(string Frame, double Percent)> Exclusive, IReadOnlyList<(string Frame, double Percent)> Inclusive)
        Summarise(string speedscopeFile, int top)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(speedscopeFile));
        var frames = document.RootElement.GetProperty("shared").GetProperty("frames").EnumerateArray()
            .Select(frame => frame.GetProperty("name").GetString() ?? "?").ToArray();
        var exclusive = new Dictionary<string, double>();
        var inclusive = new Dictionary<string, double>();
        var total = 0.0;
        foreach (var profile in document.RootElement.GetProperty("profiles").EnumerateArray())
        {
            // Evented profiles: a frame is on the stack from its open event to its close event; time is in milliseconds.
            var stack = new List<int>();
            double? last = null;
            foreach (var sample in profile.GetProperty("events").EnumerateArray())
            {
                var at = sample.GetProperty("at").GetDouble();
                if (last is { } from && stack.Count > 1 && frames[stack[^1]] == ManagedLeaf)
                {
                    var time = at - from;
                    total += time;
                    Add(exclusive, frames[stack[^2]], time);
                    foreach (var name in stack.Take(stack.Count - 1).Select(index => frames[index]).Distinct())
                    {
                        Add(inclusive, name, time);
                    }
                }
                if (sample.GetProperty("type").GetString() == "O")
                {
                    stack.Add(sample.GetProperty("frame").GetInt32());
                }
                else
                {
                    stack.RemoveAt(stack.Count - 1);
                }
                last = at;
            }
        }
        return (Top(exclusive, total, top), Top(inclusive, total, top));
    }

    /// <summary>
    /// A section of <paramref name="result"/> with the profile's top 20 frames, exclusive and inclusive (<see cref="Summarise"/>).
    /// </summary>
    public static void WriteProfile(ResultFile result, string heading, string speedscopeFile)
    {
        var (exclusive, inclusive) = Summarise(speedscopeFile, 20);
        result.Section(heading);
        result.Line("EventPipe's sample profiler (`dotnet-trace collect --profile dotnet-sampled-thread-time`), converted to speedscope (" +
            speedscopeFile + "): the share of the samples in which a host thread was running managed code. Time in the kernel " +
            "(sockets), in native code (OpenSSL, the GC, the JIT) and waiting is not in it: `perf` sees those (bench/notes).");
        result.Line();
        result.Table(["Frame running (exclusive)", "% of managed samples"], exclusive.Select(Row));
        result.Line();
        result.Table(["Frame on the stack (inclusive)", "% of managed samples"], inclusive.Select(Row));

        static IReadOnlyList<string> Row((string Frame, double Percent) entry)
        {
            var frame = entry.Frame.Length > 130 ? entry.Frame[..130] + "…" : entry.Frame;
            return ["`" + frame.Replace("|", "\\|", StringComparison.Ordinal).Replace("`", "'", StringComparison.Ordinal) + "`",
                entry.Percent.ToString("0.0", ResultFile.Invariant)];
        }
    }

    private static void Add(Dictionary<string, double> times, string frame, double time)
        => times[frame] = times.GetValueOrDefault(frame) + time;

    // The process, thread and "Threads" roots the converter adds are on every stack: not frames of the host's code.
    private static List<(string Frame, double Percent)> Top(Dictionary<string, double> times, double total, int top)
        => [.. times.Where(entry => !entry.Key.StartsWith("Process", StringComparison.Ordinal)
                && !entry.Key.StartsWith("Thread (", StringComparison.Ordinal) && entry.Key is not ("Threads" or "(Non-Activities)"))
            .OrderByDescending(entry => entry.Value).Take(top)
            .Select(entry => (entry.Key, 100 * entry.Value / Math.Max(total, 1e-9)))];

    private static async Task RunToolAsync(IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet", ["tool", "run", "dotnet-trace", "--", .. arguments])
        {
            WorkingDirectory = BenchServices.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet-trace did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0 || (await output).Contains("[ERROR]", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"dotnet-trace {arguments[0]} failed ({process.ExitCode}): {await output}{await error} " +
                "(scripts/bench.sh restores the tool)");
        }
    }
}
