using System.Diagnostics;

namespace Recorder.Bench.Common;

/// <summary>
/// Wall time of operations while this lives, from the clients' own activities: Npgsql's commands of one database role
/// (an activity starts when the command is sent and stops when its results are read; a tag names the data source,
/// whose name is its connection string without the password), and the Azure SDK's storage calls. Per operation: how
/// many and how long in all (storage calls overlap, so their sum is not wall time).
/// </summary>
public sealed class OperationTimes : IDisposable
{
    private readonly ActivityListener listener;
    private readonly Dictionary<string, (long Count, long Ticks)> database = [];
    private readonly Dictionary<string, (long Count, long Ticks)> storage = [];

    public OperationTimes(string role)
    {
        listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql" || source.Name.StartsWith("Azure.Storage", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name != "Npgsql")
                {
                    Add(storage, activity.OperationName, activity.Duration);
                }
                else if (activity.TagObjects.Any(tag => tag.Value is string value && value.Contains(role, StringComparison.Ordinal)))
                {
                    var text = activity.GetTagItem("db.query.text") as string ?? activity.DisplayName;
                    Add(database, string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)), activity.Duration);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
    }

    public double DatabaseSeconds => Snapshot(database).Sum(entry => entry.Seconds);

    public long DatabaseCommands => Snapshot(database).Sum(entry => entry.Count);

    public IReadOnlyList<(string Operation, long Count, double Seconds)> Database => Snapshot(database);

    public IReadOnlyList<(string Operation, long Count, double Seconds)> Storage => Snapshot(storage);

    /// <summary>The <paramref name="count"/> statements that took longest in all, as a line: text shortened, count, seconds.</summary>
    public string LongestStatements(int count)
        => string.Join("; ", Database.Take(count).Select(entry => string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"`{(entry.Operation.Length > 70 ? entry.Operation[..70] + "…" : entry.Operation)}` {entry.Count} × {entry.Seconds / entry.Count:0.000} s")));

    public void Dispose() => listener.Dispose();

    private static void Add(Dictionary<string, (long Count, long Ticks)> times, string operation, TimeSpan duration)
    {
        lock (times)
        {
            var (count, ticks) = times.GetValueOrDefault(operation);
            times[operation] = (count + 1, ticks + duration.Ticks);
        }
    }

    private static List<(string Operation, long Count, double Seconds)> Snapshot(Dictionary<string, (long Count, long Ticks)> times)
    {
        lock (times)
        {
            return [.. times.Select(entry => (entry.Key, entry.Value.Count, TimeSpan.FromTicks(entry.Value.Ticks).TotalSeconds))
                .OrderByDescending(entry => entry.Item3)];
        }
    }
}
