using System.Globalization;

namespace Recorder.Bench.Common;

/// <summary>
/// Recorded durations and their percentiles (exact: every sample is kept, sorted once), each with when it began (a
/// <see cref="System.Diagnostics.Stopwatch"/> timestamp, 0 if not given) so a run's samples can be split by what else ran.
/// </summary>
public sealed class Latencies
{
    private readonly List<double> milliseconds = [];
    private readonly List<long> began = [];
    private double[]? sorted;

    public int Count => milliseconds.Count;

    public void Add(TimeSpan elapsed, long beganAt = 0)
    {
        lock (milliseconds)
        {
            milliseconds.Add(elapsed.TotalMilliseconds);
            began.Add(beganAt);
            sorted = null;
        }
    }

    public void AddAll(Latencies other)
    {
        lock (milliseconds)
        {
            milliseconds.AddRange(other.milliseconds);
            began.AddRange(other.began);
            sorted = null;
        }
    }

    /// <summary>The samples that began when <paramref name="include"/> says.</summary>
    public Latencies BeganWhen(Func<long, bool> include)
    {
        var selected = new Latencies();
        for (var i = 0; i < milliseconds.Count; i++)
        {
            if (include(began[i]))
            {
                selected.milliseconds.Add(milliseconds[i]);
                selected.began.Add(began[i]);
            }
        }
        return selected;
    }

    public double Percentile(double p)
    {
        sorted ??= [.. milliseconds.Order()];
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    public double Max => Percentile(100);

    public double Mean => milliseconds.Count == 0 ? double.NaN : milliseconds.Average();

    public static string Ms(double value) => value.ToString(value < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    /// <summary>Counts per power-of-two bucket (≤0.25 ms, ≤0.5 ms, …): the shape, for the results file.</summary>
    public string Histogram()
    {
        sorted ??= [.. milliseconds.Order()];
        var lines = new List<string>();
        var upper = 0.25;
        var index = 0;
        while (index < sorted.Length)
        {
            var count = 0;
            while (index < sorted.Length && sorted[index] <= upper)
            {
                count++;
                index++;
            }
            if (count > 0)
            {
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"≤ {upper,8:0.##} ms  {count,8}  {new string('#', (int)Math.Ceiling(40.0 * count / sorted.Length))}"));
            }
            upper *= 2;
        }
        return string.Join(Environment.NewLine, lines);
    }
}
