using System.Globalization;
using Npgsql;

namespace Recorder.Testing.Services;

/// <summary>
/// A PostgreSQL cluster of its own, in a temporary folder on a free loopback port, made as scripts/lib/services.sh
/// makes the test profile's (the newest installed server, superuser <c>recorder_owner</c>, trust on loopback, no
/// fsync: test data is disposable), so a test may stop and start it under a running app without touching the
/// shared one. <see cref="StopAsync"/> and <see cref="StartAsync"/> stop and start the real server on the same data.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    public const string OwnerRole = "recorder_owner";

    // PostgreSQL refuses to run as root; as root the cluster belongs to the 'postgres' OS user, as in services.sh.
    private const string ClusterOsUser = "postgres";

    private readonly string folder;
    private readonly string bin;

    private PrivatePostgres(string folder, string bin, int port)
    {
        this.folder = folder;
        this.bin = bin;
        Port = port;
    }

    public int Port { get; }

    public string DataDirectory => Path.Combine(folder, "data");

    public string LogFile => Path.Combine(folder, "postgres.log");

    /// <summary>As the owner (superuser) to <paramref name="database"/>, or as <paramref name="role"/>.</summary>
    public string ConnectionString(string database, string? role = null, bool pooling = true) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Database = database,
        Username = role ?? OwnerRole,
        Pooling = pooling,
    }.ConnectionString;

    /// <summary>The postmaster's process id while the server runs (its backends are its children).</summary>
    public int? PostmasterId
        => File.Exists(Path.Combine(DataDirectory, "postmaster.pid"))
           && int.TryParse(File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            ? pid
            : null;

    /// <summary>A new cluster, started.</summary>
    public static async Task<PrivatePostgres> CreateAsync()
    {
        var bin = FindServerBinaries();
        var folder = Directory.CreateTempSubdirectory("recorder-pg-").FullName;
        if (IsRoot)
        {
            await ChildProcess.RunAsync("chown", ClusterOsUser + ":", folder);
        }
        var cluster = new PrivatePostgres(folder, bin, ClosedPort.Next());
        try
        {
            await cluster.AsClusterUserAsync("initdb", "-D", cluster.DataDirectory, "-U", OwnerRole, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync");
            await File.AppendAllTextAsync(Path.Combine(cluster.DataDirectory, "postgresql.conf"), string.Join('\n',
                "listen_addresses = '127.0.0.1'",
                $"port = {cluster.Port}",
                "unix_socket_directories = ''",
                "max_connections = 100",
                "fsync = off",
                "synchronous_commit = off",
                "full_page_writes = off",
                ""));
            await cluster.StartAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>Starts the server on its data and port, and waits until it takes connections.</summary>
    public Task StartAsync() => AsClusterUserAsync("pg_ctl", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "start");

    /// <summary>Stops the server as an operator would (<c>pg_ctl stop -m fast</c>: open sessions are ended, the data kept).</summary>
    public Task StopAsync() => AsClusterUserAsync("pg_ctl", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop");

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (PostmasterId is not null)
        {
            await AsClusterUserAsync("pg_ctl", "-D", DataDirectory, "-m", "immediate", "-w", "stop");
        }
        Directory.Delete(folder, recursive: true);
    }

    private static bool IsRoot => Environment.UserName == "root";

    private Task AsClusterUserAsync(string tool, params string[] arguments)
        => IsRoot
            ? ChildProcess.RunAsync("runuser", ["-u", ClusterOsUser, "--", Path.Combine(bin, tool), .. arguments])
            : ChildProcess.RunAsync(Path.Combine(bin, tool), arguments);

    /// <summary>The newest installed server's bin folder (Debian: /usr/lib/postgresql/&lt;version&gt;/bin), as services.sh's find_pg_bin.</summary>
    private static string FindServerBinaries()
    {
        const string root = "/usr/lib/postgresql";
        var newest = Directory.Exists(root)
            ? Directory.EnumerateDirectories(root)
                .Select(folder => (Folder: folder, Version: Version.TryParse(Path.GetFileName(folder), out var v) ? v : int.TryParse(Path.GetFileName(folder), out var major) ? new Version(major, 0) : null))
                .Where(candidate => candidate.Version is not null && File.Exists(Path.Combine(candidate.Folder, "bin", "initdb")))
                .MaxBy(candidate => candidate.Version)
                .Folder
            : null;
        return newest is null
            ? throw new InvalidOperationException($"No PostgreSQL server under {root}/<version>/bin (scripts/test.sh installs it).")
            : Path.Combine(newest, "bin");
    }
}
