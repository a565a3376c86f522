using Microsoft.Extensions.Logging;
using Recorder.Core.Data;
using Recorder.Core.Migrations;

namespace Recorder.Cli.Commands;

internal sealed class MigrateCommand : ICliCommand
{
    public string Name => "migrate";

    public string Usage => """
        migrate        Apply migrations/ to the database as the owner role.
                       --connection <cs>   default: setting Database__MigratorConnectionString
                       --migrations <dir>  default: the migrations folder shipped beside this command
        """;

    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        var connectionString = context.Arguments.Single("connection") ?? context.Configuration["Database:MigratorConnectionString"];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException("No database to migrate: pass --connection or set Database__MigratorConnectionString.");
        }
        var directory = context.Arguments.Single("migrations") ?? Path.Combine(AppContext.BaseDirectory, "migrations");
        var scripts = MigrationScript.LoadDirectory(directory);

        await using var dataSource = RecorderDataSources.Build(connectionString, "recorder-migrate");
        using var loggers = CliLogging.CreateFactory();
        var result = await new MigrationRunner(dataSource, loggers.CreateLogger<MigrationRunner>())
            .MigrateAsync(scripts, cancellationToken);
        await context.Output.WriteLineAsync($"Applied {result.Applied.Count} migration(s); {result.AlreadyApplied} already applied.");
        return 0;
    }
}
