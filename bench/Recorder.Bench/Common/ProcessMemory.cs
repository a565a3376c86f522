using System.Globalization;

namespace Recorder.Bench.Common;

/// <summary>
/// Peak resident memory of a process and, separately, of its child processes (ffprobe/ffmpeg), from /proc:
/// the kernel's own high-water mark (VmHWM) for the process, reset before each measurement
/// (<c>/proc/PID/clear_refs</c> = 5), and the children's VmHWM sampled every few milliseconds while they live.
/// </summary>
public sealed class ProcessMemory : IAsyncDisposable
{
    private readonly int pid;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task sampling;
    private long childPeakKb;

    public ProcessMemory(int pid)
    {
        this.pid = pid;
        sampling = SampleChildrenAsync();
    }

    public void Reset()
    {
        File.WriteAllText($"/proc/{pid}/clear_refs", "5");
        Interlocked.Exchange(ref childPeakKb, 0);
    }

    public long ProcessPeakKb => StatusKb(pid, "VmHWM") ?? 0;

    public long ProcessCurrentKb => StatusKb(pid, "VmRSS") ?? 0;

    public long ChildPeakKb => Interlocked.Read(ref childPeakKb);

    private async Task SampleChildrenAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            foreach (var child in Descendants(pid))
            {
                if (StatusKb(child, "VmHWM") is { } peak)
                {
                    long seen;
                    while (peak > (seen = Interlocked.Read(ref childPeakKb)) && Interlocked.CompareExchange(ref childPeakKb, peak, seen) != seen)
                    {
                    }
                }
            }
            try
            {
                await Task.Delay(5, stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Proportional set size of a process and all its descendants (shared pages split among their users, so a
    /// PostgreSQL's shared buffers count once across its backends); RSS where smaps_rollup may not be read.
    /// </summary>
    public static long TreePssKb(int pid)
        => new[] { pid }.Concat(Descendants(pid)).Sum(process => PssKb(process) ?? StatusKb(process, "VmRSS") ?? 0);

    private static long? PssKb(int pid) => FieldKb($"/proc/{pid}/smaps_rollup", "Pss");

    private static IEnumerable<int> Descendants(int parent)
    {
        var children = new List<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{parent}/task"))
            {
                var text = File.ReadAllText(Path.Combine(task, "children")).Trim();
                if (text.Length > 0)
                {
                    children.AddRange(text.Split(' ').Select(id => int.Parse(id, CultureInfo.InvariantCulture)));
                }
            }
        }
        catch (IOException)
        {
            return children;
        }
        catch (UnauthorizedAccessException)
        {
            return children;
        }
        return children.Concat(children.SelectMany(Descendants)).ToList();
    }

    public static long? StatusKb(int pid, string key) => FieldKb($"/proc/{pid}/status", key);

    /// <summary>A "Key:   1234 kB" line of a /proc file; null when the process is gone or the file may not be read.</summary>
    private static long? FieldKb(string file, string key)
    {
        try
        {
            var line = File.ReadLines(file).FirstOrDefault(l => l.StartsWith(key + ":", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(':', 2)[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        await sampling;
        stopping.Dispose();
    }
}
