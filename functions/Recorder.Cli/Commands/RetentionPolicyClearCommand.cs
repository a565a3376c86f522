using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Lifecycle;

namespace Recorder.Cli.Commands;

internal sealed class RetentionPolicyClearCommand : ICliCommand
{
    public string Name => "retention-policy-clear";

    public string Usage => """
        retention-policy-clear  Remove a user's or a project's retention policy; the next rule in line applies again.
                                --user <id> | --project <id>
        """;

    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        var subject = RetentionArguments.Subject(context, recordingAllowed: false, projectAllowed: true);
        await using var services = context.BuildCoreServices();
        var removed = await services.GetRequiredService<RetentionAdministration>().ClearPolicyAsync(subject, cancellationToken);
        await context.Output.WriteLineAsync(removed ? $"Retention policy of {subject} removed." : $"{subject} had no retention policy.");
        return 0;
    }
}
