using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Recorder.Core.Storage;

namespace Recorder.Cli.Commands;

internal sealed class InitStorageCommand : ICliCommand
{
    public string Name => "init-storage";

    public string Usage => """
        init-storage   Create the blob containers and the CORS rule for the recorder page (local/emulator use).
                       --cors-origin <origin>  repeatable; default: setting Cors__AllowedOrigins__N
        """;

    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        // Not BuildCoreServices: this runs before any database exists and needs storage only.
        var services = new ServiceCollection()
            .AddLogging(logging => logging.AddSimpleConsole(o => o.SingleLine = true))
            .AddSingleton(context.Configuration)
            .AddSingleton(_ => RecordingsStorageClient.Create(context.Configuration))
            .AddSingleton<StorageInitializer>();
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName);
        await using var provider = services.BuildServiceProvider();
        var origins = context.Arguments.Many("cors-origin") is { Count: > 0 } given
            ? given
            : context.Configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
        await provider.GetRequiredService<StorageInitializer>().InitializeAsync(origins, cancellationToken);
        return 0;
    }
}
