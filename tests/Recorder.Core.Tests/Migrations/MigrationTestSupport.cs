using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Recorder.Core.Migrations;
using Recorder.Testing;

namespace Recorder.Core.Tests.Migrations;

/// <summary>An empty database for one test, dropped at the end.</summary>
internal sealed class ScratchDatabase : IAsyncDisposable
{
    private ScratchDatabase(string name) => Name = name;

    public string Name { get; }

    public static async Task<ScratchDatabase> CreateAsync(string purpose) => new(await TestDatabases.CreateEmptyAsync(purpose));

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(TestDatabases.ConnectionString(Name, pooling: false));
        await connection.OpenAsync();
        return connection;
    }

    public async Task<MigrationResult> RunnerMigrateAsync(IReadOnlyList<MigrationScript> scripts)
    {
        await using var dataSource = NpgsqlDataSource.Create(TestDatabases.ConnectionString(Name, pooling: false));
        return await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).MigrateAsync(scripts, CancellationToken.None);
    }

    public ValueTask DisposeAsync() => new(TestDatabases.DropAsync(Name));
}

/// <summary>A temporary copy of migration files that a test may edit.</summary>
internal sealed class MigrationsFolder : IDisposable
{
    public MigrationsFolder(IEnumerable<MigrationScript> scripts)
    {
        Path = Directory.CreateTempSubdirectory("recorder-migrations-").FullName;
        foreach (var script in scripts)
        {
            Write(script.Name, script.Sql);
        }
    }

    public string Path { get; }

    public void Write(string name, string sql) => File.WriteAllText(System.IO.Path.Combine(Path, name), sql);

    public void Append(string name, string sql) => File.AppendAllText(System.IO.Path.Combine(Path, name), sql);

    public IReadOnlyList<MigrationScript> Load() => MigrationScript.LoadDirectory(Path);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Runs the built <c>recorder</c> command as a separate process.</summary>
internal static class RecorderCli
{
    public sealed record Run(int ExitCode, string Output);

    public static Task<Run> RunAsync(params string[] arguments) => RunAsync(new Dictionary<string, string>(), arguments);

    /// <summary>Runs the command with <paramref name="environment"/> set over the test process's own variables (its settings).</summary>
    public static async Task<Run> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        start.ArgumentList.Add(System.IO.Path.Combine(TestEnvironment.ProjectOutput("Recorder.Cli"), "recorder.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new Run(process.ExitCode, await output + await error);
    }
}
