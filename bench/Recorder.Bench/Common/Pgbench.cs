using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Recorder.Bench.Common;

/// <summary>
/// PostgreSQL's own load tool, <c>pgbench</c>, running a custom script with prepared statements (<c>-M prepared</c>) at a
/// fixed concurrency against one database: the floor of a request whose work is that script. The npm server package has
/// no pgbench, so this is Debian's (postgresql-client, which scripts/lib/services.sh installs); its protocol is the same.
/// </summary>
public static class Pgbench
{
    /// <summary>
    /// One pgbench run of warm-up + measured time with a per-transaction log; as in <see cref="LoadGenerator"/>, only
    /// transactions that ended inside the measured window count, and the CPU of the database's backends is sampled at its
    /// edges (the backends live only while pgbench runs).
    /// </summary>
    public static async Task<(LoadResult Result, double DatabaseCpuSeconds)> RunAsync(
        string name, string connectionString, string script, int concurrency, TimeSpan warmUp, TimeSpan duration)
    {
        var connection = new NpgsqlConnectionStringBuilder(connectionString);
        var directory = Directory.CreateTempSubdirectory("recorder-pgbench-");
        try
        {
            var scriptPath = Path.Combine(directory.FullName, "script.sql");
            await File.WriteAllTextAsync(scriptPath, script);
            string[] arguments = ["-n", "-M", "prepared", "-c", concurrency.ToString(CultureInfo.InvariantCulture), "-j", "2",
                "-T", Seconds(warmUp + duration + TimeSpan.FromSeconds(2)), "-l", "--log-prefix", Path.Combine(directory.FullName, "log"),
                "-h", connection.Host!, "-p", connection.Port.ToString(CultureInfo.InvariantCulture), "-U", connection.Username!,
                "-f", scriptPath, connection.Database!];
            var started = DateTimeOffset.UtcNow;
            var run = RunProcessAsync(arguments, connection.Password, directory.FullName);
            await Task.Delay(warmUp);
            var before = CpuMeter.Sample(Environment.ProcessId, connection.Database!);
            await Task.Delay(duration);
            var after = CpuMeter.Sample(Environment.ProcessId, connection.Database!);
            var output = await run;
            if (!output.Contains("number of transactions actually processed", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"pgbench printed no result:{Environment.NewLine}{output}");
            }

            var measureFrom = (started + warmUp).ToUnixTimeMilliseconds() * 1000;
            var measureTo = measureFrom + (long)duration.TotalMicroseconds;
            var latencies = new Latencies();
            long succeeded = 0, failed = 0;
            foreach (var file in Directory.EnumerateFiles(directory.FullName, "log.*"))
            {
                foreach (var line in File.ReadLines(file))
                {
                    // client_id transaction_no time script_no time_epoch time_us: time is the latency in µs, or "failed";
                    // time_epoch + time_us is when the transaction ended.
                    var fields = line.Split(' ');
                    var ended = long.Parse(fields[4], CultureInfo.InvariantCulture) * 1_000_000 + long.Parse(fields[5], CultureInfo.InvariantCulture);
                    if (ended < measureFrom || ended > measureTo)
                    {
                        continue;
                    }
                    if (long.TryParse(fields[2], CultureInfo.InvariantCulture, out var microseconds))
                    {
                        latencies.Add(TimeSpan.FromMicroseconds(microseconds));
                        succeeded++;
                    }
                    else
                    {
                        failed++;
                    }
                }
            }
            var errors = new Dictionary<string, long>();
            if (failed > 0)
            {
                errors["failed"] = failed;
            }
            return (new LoadResult(name, concurrency, duration, succeeded, failed, latencies, errors),
                after.DatabaseSeconds - before.DatabaseSeconds);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string Seconds(TimeSpan span) => ((int)Math.Ceiling(span.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>pgbench's output (stdout and stderr); a failed run throws with it.</summary>
    private static async Task<string> RunProcessAsync(string[] arguments, string? password, string workingDirectory)
    {
        var start = new ProcessStartInfo("pgbench", arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        if (!string.IsNullOrEmpty(password))
        {
            start.Environment["PGPASSWORD"] = password;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("pgbench did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = await stdout + await stderr;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pgbench exited with {process.ExitCode}:{Environment.NewLine}{output}");
        }
        return output;
    }
}
