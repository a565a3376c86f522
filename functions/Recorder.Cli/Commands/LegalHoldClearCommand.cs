using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Lifecycle;

namespace Recorder.Cli.Commands;

internal sealed class LegalHoldClearCommand : ICliCommand
{
    public string Name => "legal-hold-clear";

    public string Usage => """
        legal-hold-clear        Lift a legal hold; retention applies again from the next run.
                                --recording <id> | --user <id>
        """;

    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        var subject = RetentionArguments.Subject(context, recordingAllowed: true, projectAllowed: false);
        await using var services = context.BuildCoreServices();
        await services.GetRequiredService<RetentionAdministration>().SetHoldAsync(subject, hold: false, reason: null, cancellationToken);
        await context.Output.WriteLineAsync($"Legal hold lifted from {subject}.");
        return 0;
    }
}
