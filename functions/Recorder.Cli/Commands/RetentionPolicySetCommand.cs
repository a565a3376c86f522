using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Lifecycle;

namespace Recorder.Cli.Commands;

internal sealed class RetentionPolicySetCommand : ICliCommand
{
    public string Name => "retention-policy-set";

    public string Usage => """
        retention-policy-set    Keep a user's or a project's completed recordings this many days (overrides Lifecycle__RetentionDays).
                                --user <id> | --project <id>   whose recordings
                                --days <n>                     retention in days (at least 1)
        """;

    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        var subject = RetentionArguments.Subject(context, recordingAllowed: false, projectAllowed: true);
        var days = RetentionArguments.Number<int>(context.Required("days"), "days");
        await using var services = context.BuildCoreServices();
        await services.GetRequiredService<RetentionAdministration>().SetPolicyAsync(subject, days, cancellationToken);
        await context.Output.WriteLineAsync($"Retention of {subject}: {days} days.");
        return 0;
    }
}
