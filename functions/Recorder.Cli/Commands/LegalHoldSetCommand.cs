using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Lifecycle;

namespace Recorder.Cli.Commands;

internal sealed class LegalHoldSetCommand : ICliCommand
{
    public string Name => "legal-hold-set";

    public string Usage => """
        legal-hold-set          Place a legal hold: nothing deletes the recording, or any recording or session of the user,
                                until it is lifted.
                                --recording <id> | --user <id>
                                --reason <text>                optional, kept with a user's hold and in the audit entry
        """;

    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        var subject = RetentionArguments.Subject(context, recordingAllowed: true, projectAllowed: false);
        await using var services = context.BuildCoreServices();
        var status = await services.GetRequiredService<RetentionAdministration>()
            .SetHoldAsync(subject, hold: true, context.Arguments.Single("reason"), cancellationToken);
        await context.Output.WriteLineAsync($"Legal hold placed on {subject}.");
        if (status == "deleting")
        {
            await context.Error.WriteLineAsync(
                $"{subject} was already being deleted: it stays gone for its user, and the hold keeps what is left of it (its row, " +
                $"and the blobs not yet removed).");
        }
        return 0;
    }
}
