using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Configuration;
using Recorder.Core.Data;
using Recorder.Core.Migrations;
using Recorder.Core.Storage;

namespace Recorder.Cli;

/// <summary>
/// The <c>recorder</c> command. Settings come from local.settings.json (when one is found) and then
/// environment variables, under the same keys as the Functions app.
/// </summary>
public static class CliApp
{
    private const string Usage = """
        Usage: recorder <command> [options]

        Commands:
          migrate        Apply migrations/ to the database as the owner role.
                         --connection <cs>   default: setting Database__MigratorConnectionString
                         --migrations <dir>  default: the migrations folder shipped beside this command
          init-storage   Create the blob containers and the CORS rule for the recorder page (local/emulator use).
                         --cors-origin <origin>  repeatable; default: setting Cors__AllowedOrigins__N

        Common options:
          --settings <path>  a local.settings.json to read (default: the nearest one above the working directory)
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            await output.WriteLineAsync(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        CliArguments arguments;
        try
        {
            arguments = CliArguments.Parse(args.Skip(1));
        }
        catch (ArgumentException exception)
        {
            await error.WriteLineAsync($"{exception.Message}\n\n{Usage}");
            return 2;
        }

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancellation.Cancel(); };
        try
        {
            var configuration = BuildConfiguration(arguments.Single("settings"));
            return args[0] switch
            {
                "migrate" => await MigrateAsync(configuration, arguments, output, cancellation.Token),
                "init-storage" => await InitStorageAsync(configuration, arguments, cancellation.Token),
                _ => await UnknownAsync(args[0], error),
            };
        }
        catch (Exception exception) when (exception is MigrationException or InvalidOperationException or FileNotFoundException or ArgumentException or Npgsql.NpgsqlException)
        {
            await error.WriteLineAsync($"recorder {args[0]}: {exception.Message}");
            return 1;
        }
    }

    private static async Task<int> MigrateAsync(IConfiguration configuration, CliArguments arguments, TextWriter output, CancellationToken cancellationToken)
    {
        var connectionString = arguments.Single("connection") ?? configuration["Database:MigratorConnectionString"];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException("No database to migrate: pass --connection or set Database__MigratorConnectionString.");
        }
        var directory = arguments.Single("migrations") ?? Path.Combine(AppContext.BaseDirectory, "migrations");
        var scripts = MigrationScript.LoadDirectory(directory);

        await using var dataSource = RecorderDataSources.Build(connectionString, "recorder-migrate");
        using var loggers = CreateLoggerFactory();
        var result = await new MigrationRunner(dataSource, loggers.CreateLogger<MigrationRunner>()).MigrateAsync(scripts, cancellationToken);
        await output.WriteLineAsync($"Applied {result.Applied.Count} migration(s); {result.AlreadyApplied} already applied.");
        return 0;
    }

    private static async Task<int> InitStorageAsync(IConfiguration configuration, CliArguments arguments, CancellationToken cancellationToken)
    {
        var services = new ServiceCollection()
            .AddLogging(logging => logging.AddSimpleConsole(o => o.SingleLine = true))
            .AddSingleton(configuration)
            .AddSingleton(_ => RecordingsStorageClient.Create(configuration))
            .AddSingleton<StorageInitializer>();
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName);
        await using var provider = services.BuildServiceProvider();
        var origins = arguments.Many("cors-origin") is { Count: > 0 } given ? given : configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
        await provider.GetRequiredService<StorageInitializer>().InitializeAsync(origins, cancellationToken);
        return 0;
    }

    private static async Task<int> UnknownAsync(string command, TextWriter error)
    {
        await error.WriteLineAsync($"Unknown command '{command}'.\n\n{Usage}");
        return 2;
    }

    private static IConfiguration BuildConfiguration(string? settingsPath)
    {
        var builder = new ConfigurationBuilder();
        var settingsFile = LocalSettings.Locate(settingsPath);
        if (settingsFile is not null)
        {
            builder.AddLocalSettingsFile(settingsFile);
        }
        return builder.AddEnvironmentVariables().Build();
    }

    private static ILoggerFactory CreateLoggerFactory()
        => LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true));
}
