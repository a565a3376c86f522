using System.Diagnostics;
using System.Net.Sockets;

namespace Recorder.Testing.Services;

/// <summary>Starting, signalling and waiting for the processes the private services and hosts run as.</summary>
public static class ChildProcess
{
    /// <summary>Starts a long-running process whose standard output and error are appended to <paramref name="logFile"/>.</summary>
    public static Process Start(string fileName, IEnumerable<string> arguments, string logFile, IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[key] = value;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start.");
        var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        var openStreams = 2;
        DataReceivedEventHandler write = (_, line) =>
        {
            lock (log)
            {
                // Null: that stream has ended; the log closes with the second.
                if (line.Data is not null)
                {
                    log.WriteLine(line.Data);
                }
                else if (--openStreams == 0)
                {
                    log.Dispose();
                }
            }
        };
        process.OutputDataReceived += write;
        process.ErrorDataReceived += write;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Runs a command to its end; fails with its output when it exits other than 0.</summary>
    public static async Task RunAsync(string fileName, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException($"{fileName} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{error}");
        }
    }

    /// <summary>SIGTERM (a clean shutdown), then SIGKILL if it is still there after <paramref name="grace"/>.</summary>
    public static async Task TerminateAsync(Process process, TimeSpan grace)
    {
        if (process.HasExited)
        {
            return;
        }
        await RunAsync("kill", "-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Waits until something accepts connections on 127.0.0.1:<paramref name="port"/>; fails early if <paramref name="process"/> exits.</summary>
    public static async Task WaitForPortAsync(Process process, int port, string what, string logFile, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await AcceptsAsync(port))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{what} exited with {process.ExitCode} while starting; see {logFile}.");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} did not listen on 127.0.0.1:{port} within {timeout.TotalSeconds:0} s; see {logFile}.");
            }
            await Task.Delay(100);
        }
    }

    public static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
