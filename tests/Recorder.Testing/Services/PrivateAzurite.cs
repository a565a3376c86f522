using System.Diagnostics;

namespace Recorder.Testing.Services;

/// <summary>
/// An Azurite of its own (the repository's node_modules/.bin/azurite, as scripts/lib/services.sh runs it) on free
/// loopback ports with its own <c>--location</c>, so a test may stop and start it under a running app.
/// <see cref="StopAsync"/> shuts it down cleanly (SIGTERM: it saves its metadata) and <see cref="StartAsync"/> starts
/// it again on the same ports and data. In memory (<c>--inMemoryPersistence</c>, for benchmarks) it writes no files and keeps
/// nothing across a restart.
/// </summary>
public sealed class PrivateAzurite : IAsyncDisposable
{
    // Azurite's published well-known development account (not a secret).
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly string folder;
    private readonly int blobPort = ClosedPort.Next();
    private readonly int queuePort = ClosedPort.Next();
    private readonly int tablePort = ClosedPort.Next();

    private readonly bool inMemory;
    private Process? process;

    private PrivateAzurite(string folder, bool inMemory) => (this.folder, this.inMemory) = (folder, inMemory);

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{blobPort}/{AccountName};QueueEndpoint=http://127.0.0.1:{queuePort}/{AccountName};TableEndpoint=http://127.0.0.1:{tablePort}/{AccountName};";

    /// <summary>The node process while it runs.</summary>
    public int? ProcessId => process is { HasExited: false } ? process.Id : null;

    public string LogFile => Path.Combine(folder, "azurite.log");

    public static async Task<PrivateAzurite> CreateAsync(bool inMemory = false)
    {
        var azurite = new PrivateAzurite(Directory.CreateTempSubdirectory("recorder-azurite-").FullName, inMemory);
        try
        {
            await azurite.StartAsync();
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
        return azurite;
    }

    public async Task StartAsync()
    {
        var bin = Path.Combine(TestEnvironment.RepositoryRoot, "node_modules", ".bin", "azurite");
        if (!File.Exists(bin))
        {
            throw new InvalidOperationException($"{bin} is missing (scripts/test.sh installs Azurite with npm ci).");
        }
        process = ChildProcess.Start(bin,
        [
            "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--loose",
            .. inMemory ? ["--inMemoryPersistence"] : new[] { "--location", Path.Combine(folder, "data") },
            "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
            "--blobPort", Port(blobPort), "--queuePort", Port(queuePort), "--tablePort", Port(tablePort),
        ], LogFile);
        // It opens blob, then queue, then table: the last one listening means all are.
        await ChildProcess.WaitForPortAsync(process, tablePort, "Azurite", LogFile, StartTimeout);
    }

    public async Task StopAsync()
    {
        if (process is not null)
        {
            await ChildProcess.TerminateAsync(process, TimeSpan.FromSeconds(10));
            process.Dispose();
            process = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(folder, recursive: true);
    }

    private static string Port(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
