using Dapper;
using Npgsql;
using Recorder.Bench.Common;

namespace Recorder.Bench.Mixed;

/// <summary>
/// Where a phase's time went: CPU per process over the measured window (in cores: CPU seconds per second) and what this
/// run's PostgreSQL backends were doing, sampled from pg_stat_activity every 100 ms (as the schema owner, a member of
/// pg_monitor as Azure's administrator is: it sees every role's wait events).
/// </summary>
public sealed class PhaseMeter : IAsyncDisposable
{
    public const string OnCpu = "running (no wait event)";
    public const string IdleInTransaction = "idle in transaction (its client at work)";

    // Backends of this database other than the sampler's; an active one with no wait event is on a CPU (or in an
    // uninstrumented wait), an idle-in-transaction one holds its locks while its client works (the sweeper's blob deletions).
    private const string ActivitySql = $"""
        SELECT CASE WHEN state = 'idle in transaction' THEN '{IdleInTransaction}'
                    ELSE coalesce(wait_event_type || ': ' || wait_event, '{OnCpu}') END,
               count(*)::int
        FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')
        GROUP BY 1
        """;

    // What a waiting lock request of this database's backends is for: the relation, the object (shared ones, such as the
    // database itself, have database 0), or the lock's kind alone (advisory; transactionid: a row another transaction holds).
    // Then who holds pg_notify's commit lock, which is one for the whole server: this run's database or another one.
    private const string LockTargetsSql = $"""
        SELECT CASE
                 -- pg_notify's commit lock: one for the whole server, held by each notifying transaction through its commit.
                 WHEN l.locktype = 'object' AND l.classid = 'pg_database'::regclass AND l.objid = 0
                   THEN 'the NOTIFY queue (server-wide commit lock)'
                 WHEN l.locktype = 'advisory' AND l.objsubid = 2 AND l.classid = hashtext('recorder.quota')::oid
                   THEN 'advisory: one user''s quota lock'
                 ELSE l.locktype || coalesce(' ' || l.relation::regclass::text, '')
                   || CASE WHEN l.locktype = 'object' THEN ' ' || coalesce(pg_describe_object(l.classid, l.objid, l.objsubid), '?')
                      ELSE '' END
               END || ' ' || l.mode,
               count(*)::int
        FROM pg_locks AS l
        WHERE NOT l.granted
          AND (l.database IS NULL OR l.database IN (0, (SELECT oid FROM pg_database WHERE datname = current_database())))
          AND l.pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())
        GROUP BY 1
        UNION ALL
        SELECT '{NotifyHeldBy}' || CASE WHEN a.datname = current_database() THEN 'this run''s database' ELSE 'another database' END,
               count(*)::int
        FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
        WHERE l.granted AND l.locktype = 'object' AND l.classid = 'pg_database'::regclass AND l.objid = 0
        GROUP BY 1
        """;

    /// <summary>The rows of <see cref="PhaseUsage.LockTargets"/> that count holders of the NOTIFY lock, not waits.</summary>
    public const string NotifyHeldBy = "(held, not a wait) the NOTIFY queue, by a backend of ";

    private readonly Dictionary<string, long> waits = [];
    private readonly Dictionary<string, long> lockTargets = [];
    private readonly CancellationTokenSource stopping = new();
    private readonly Task sampling;
    private readonly Dictionary<string, double> before;
    private readonly Func<Dictionary<string, double>> readCpu;
    private long samples;

    private PhaseMeter(NpgsqlConnection connection, Func<Dictionary<string, double>> readCpu)
    {
        this.readCpu = readCpu;
        before = readCpu();
        sampling = SampleAsync(connection);
    }

    /// <summary>Starts measuring now; <see cref="StopAsync"/> ends the window.</summary>
    public static async Task<PhaseMeter> StartAsync(string ownerConnectionString, string database, int hostPid, int? azuritePid)
    {
        var connection = new NpgsqlConnection(ownerConnectionString);
        await connection.OpenAsync();
        return new PhaseMeter(connection, () => ReadCpu(database, hostPid, azuritePid));
    }

    public async Task<PhaseUsage> StopAsync()
    {
        var after = readCpu();
        var seconds = after[Wall] - before[Wall];
        await stopping.CancelAsync();
        await sampling;
        var cores = after.Keys.Where(key => key != Wall).ToDictionary(key => key, key => (after[key] - before[key]) / seconds);
        var ours = cores.Where(core => core.Key != Busy).Sum(core => core.Value);
        cores[Others] = Math.Max(0, cores[Busy] - ours);
        return new PhaseUsage(cores, Average(waits), Average(lockTargets), samples);
    }

    private Dictionary<string, double> Average(Dictionary<string, long> counts)
        => counts.ToDictionary(count => count.Key, count => (double)count.Value / Math.Max(1, samples));

    public const string Busy = "whole machine";
    public const string Host = "host process (HTTP, queue worker)";
    public const string HostChildren = "its ffprobe/ffmpeg";
    public const string Bench = "this bench (load, sweeper, alerts)";
    public const string Database = "PostgreSQL backends of the run's database";
    public const string Azurite = "Azurite";
    public const string Others = "everything else";
    private const string Wall = "wall";

    private static Dictionary<string, double> ReadCpu(string database, int hostPid, int? azuritePid)
    {
        var (busy, total) = CpuMeter.MachineSeconds();
        var (host, backends) = CpuMeter.Sample(hostPid, database);
        var values = new Dictionary<string, double>
        {
            // Wall time as the machine counts it: total CPU time over the number of CPUs.
            [Wall] = total / Environment.ProcessorCount,
            [Busy] = busy,
            [Host] = host,
            [HostChildren] = CpuMeter.EndedChildrenSeconds(hostPid),
            [Bench] = CpuMeter.Seconds(Environment.ProcessId),
            [Database] = backends,
        };
        if (azuritePid is { } azurite)
        {
            values[Azurite] = CpuMeter.Seconds(azurite);
        }
        return values;
    }

    private async Task SampleAsync(NpgsqlConnection connection)
    {
        await using (connection)
        {
            while (!stopping.IsCancellationRequested)
            {
                foreach (var (state, count) in await connection.QueryAsync<(string State, int Count)>(ActivitySql))
                {
                    waits[state] = waits.GetValueOrDefault(state) + count;
                }
                foreach (var (target, count) in await connection.QueryAsync<(string Target, int Count)>(LockTargetsSql))
                {
                    lockTargets[target] = lockTargets.GetValueOrDefault(target) + count;
                }
                samples++;
                try
                {
                    await Task.Delay(100, stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!stopping.IsCancellationRequested)
        {
            await stopping.CancelAsync();
            await sampling;
        }
        stopping.Dispose();
    }

    /// <summary>The Azurite serving <paramref name="blobEndpoint"/> (started with <c>--blobPort</c>), if this machine runs it.</summary>
    public static int? FindAzurite(Uri blobEndpoint)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (int.TryParse(Path.GetFileName(directory), out var pid)
                    && File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0') is var arguments
                    && arguments.Any(argument => argument.Contains("azurite", StringComparison.Ordinal))
                    && arguments.SkipWhile(argument => argument != "--blobPort").Skip(1).FirstOrDefault()
                        == blobEndpoint.Port.ToString(ResultFile.Invariant))
                {
                    return pid;
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Gone while we looked, or not ours to read.
            }
        }
        return null;
    }
}

/// <summary>
/// A phase's CPU by process in cores (<see cref="PhaseMeter.Busy"/>: the whole machine's) and its backends' states as
/// the average number of backends in each (average active sessions), and the lock requests waited on by what they are for,
/// over <paramref name="Samples"/> samples.
/// </summary>
public sealed record PhaseUsage(
    IReadOnlyDictionary<string, double> Cores,
    IReadOnlyDictionary<string, double> Backends,
    IReadOnlyDictionary<string, double> LockTargets,
    long Samples)
{
    public double LockWaits => Backends.Where(state => state.Key.StartsWith("Lock:", StringComparison.Ordinal)).Sum(state => state.Value);

    public double BusyShare => Cores[PhaseMeter.Busy] / Environment.ProcessorCount;
}
