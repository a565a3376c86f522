using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Recorder.Cli.Commands;
using Recorder.Core.Configuration;
using Recorder.Core.Migrations;

namespace Recorder.Cli;

/// <summary>
/// The <c>recorder</c> command. Settings come from local.settings.json (when one is found) and then
/// environment variables, under the same keys as the Functions app.
/// </summary>
public static class CliApp
{
    /// <summary>Every subcommand, in the order the usage text lists them; one class each under Commands/.</summary>
    private static readonly ICliCommand[] Commands =
    [
        new MigrateCommand(),
        new InitStorageCommand(),
        new ImportClientRecordingsCommand(),
        new ReportCommand(),
        new ExportUserCommand(),
        new EraseUserCommand(),
        new ReplayErasuresCommand(),
        new RetentionDryRunCommand(),
        new RetentionPolicySetCommand(),
        new RetentionPolicyClearCommand(),
        new LegalHoldSetCommand(),
        new LegalHoldClearCommand(),
    ];

    private static string Usage => $"""
        Usage: recorder <command> [options]

        Commands:
        {string.Join("", Commands.Select(command => Indent(command.Usage)))}
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
        var command = Commands.FirstOrDefault(candidate => candidate.Name == args[0]);
        if (command is null)
        {
            await error.WriteLineAsync($"Unknown command '{args[0]}'.\n\n{Usage}");
            return 2;
        }

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancellation.Cancel(); };
        try
        {
            var arguments = CliArguments.Parse(args.Skip(1));
            if (arguments.Subcommand is { } word && !command.TakesSubcommand)
            {
                throw new CliUsageException($"Unexpected argument '{word}'.");
            }
            var configuration = BuildConfiguration(arguments.Single("settings"));
            return await command.RunAsync(new CliContext(configuration, arguments, output, error), cancellation.Token);
        }
        catch (Exception exception) when (exception is CliUsageException or ArgumentException)
        {
            await error.WriteLineAsync($"recorder {command.Name}: {exception.Message}\n\n{Usage}");
            return 2;
        }
        catch (Exception exception)
            when (exception is MigrationException or InvalidOperationException or FileNotFoundException or OptionsValidationException
                or Npgsql.NpgsqlException or Azure.RequestFailedException)
        {
            await error.WriteLineAsync($"recorder {command.Name}: {exception.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            await error.WriteLineAsync($"recorder {command.Name}: cancelled; running it again carries on where it stopped.");
            return 130;
        }
    }

    private static string Indent(string block)
        => string.Concat(block.Split('\n').Select(line => "  " + line.TrimEnd('\r') + "\n"));

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
}
