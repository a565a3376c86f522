using Recorder.Testing.Services;

namespace Recorder.Bench.Common;

/// <summary>
/// The bench host (<see cref="BenchHost"/>) as a child process on a free loopback port, so the load generator and
/// the server are separate processes as in production, and the server's memory is its own.
/// </summary>
public static class DevHostProcess
{
    public static Task<HostProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, string logFile)
        => HostProcess.StartAsync(typeof(DevHostProcess).Assembly.Location, ["host"], settings, "api/" + BenchPing.Route, logFile);
}
