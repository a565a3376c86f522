using System.Diagnostics;

namespace Recorder.Testing.Services;

/// <summary>
/// A host (the dev host, or a benchmark's host built on it) as a process of its own on a free loopback port,
/// configured by environment variables only, as in a container: the caller's process is not the server's, so
/// the server's memory is its own and it can be killed as a crash would kill it.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly Process process;

    private HostProcess(Process process, Uri baseAddress)
    {
        this.process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int ProcessId => process.Id;

    /// <summary>The Recorder.DevHost build beside these tests (the real dev host, as scripts/run.sh runs it).</summary>
    public static string DevHostAssembly => Path.Combine(TestEnvironment.ProjectOutput("Recorder.DevHost"), "Recorder.DevHost.dll");

    /// <param name="assembly">The host's .dll, run with <c>dotnet</c>.</param>
    /// <param name="arguments">Before <c>--urls</c>.</param>
    /// <param name="settings">Keys as in local.settings.json (<c>Section:Key</c>), passed as <c>Section__Key</c> variables.</param>
    /// <param name="readyPath">A GET that answers 2xx once the host serves.</param>
    public static async Task<HostProcess> StartAsync(string assembly, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> settings, string readyPath, string logFile)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{ClosedPort.Next()}/");
        var environment = settings.ToDictionary(setting => setting.Key.Replace(":", "__", StringComparison.Ordinal), setting => setting.Value);
        environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // The temporary folder has no local.settings.json above it: the environment is the whole configuration.
        var host = new HostProcess(ChildProcess.Start("dotnet", [assembly, .. arguments, "--urls", baseAddress.AbsoluteUri.TrimEnd('/')], logFile, environment), baseAddress);

        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (host.process.HasExited)
            {
                throw new InvalidOperationException($"The host exited with {host.process.ExitCode} during start-up; see {logFile}.");
            }
            try
            {
                using var response = await client.GetAsync(readyPath);
                if (response.IsSuccessStatusCode)
                {
                    return host;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            if (DateTime.UtcNow > deadline)
            {
                await host.DisposeAsync();
                throw new TimeoutException($"The host did not answer GET {readyPath} with 2xx within {StartTimeout.TotalSeconds:0} s; see {logFile}.");
            }
            await Task.Delay(200);
        }
    }

    /// <summary>SIGKILL to the host and every process it started (ffprobe, ffmpeg): what a crash or an out-of-memory kill does.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process.Dispose();
    }
}
