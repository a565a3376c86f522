using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Lifecycle;

namespace Recorder.Cli.Commands;

internal sealed class RetentionDryRunCommand : ICliCommand
{
    public string Name => "retention-dry-run";

    public string Usage => """
        retention-dry-run       Report what the lifecycle and partition timers would delete now; writes nothing.
                                --limit <n>  recordings listed, oldest first (default 100); the counts cover all
        """;

    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        var limit = context.Arguments.Single("limit") is { } given ? RetentionArguments.Number<int>(given, "limit") : 100;
        await using var services = context.BuildCoreServices();
        var report = await services.GetRequiredService<RetentionAdministration>().DryRunAsync(limit, cancellationToken);
        var output = context.Output;
        var now = DateTime.UtcNow;
        var total = report.ExpiredByRule.Values.Sum();
        var byRule = new[] { RetentionRules.Project, RetentionRules.User, RetentionRules.Default }
            .Select(rule => $"{rule} {report.ExpiredByRule.GetValueOrDefault(rule)}");
        await output.WriteLineAsync(Line($"Recordings past retention: {total} ({string.Join(", ", byRule)})"));
        foreach (var candidate in report.Listed)
        {
            var project = candidate.ProjectId?.ToString(CultureInfo.InvariantCulture) ?? "-";
            await output.WriteLineAsync(
                Line($"  recording {candidate.Id}  user {candidate.UserId}  project {project}") +
                Line($"  age {(now - candidate.CreatedAt).TotalDays:0} days  rule {candidate.Rule} ({candidate.RetentionDays} days)"));
        }
        if (report.Listed.Count < total)
        {
            await output.WriteLineAsync(Line($"  … {total - report.Listed.Count} more (--limit)"));
        }
        await output.WriteLineAsync(Line($"Deletions waiting to finish ('deleting'): {report.Deleting}"));
        await output.WriteLineAsync(Line($"Abandoned uploads to fail: {report.AbandonedUploads}"));
        await output.WriteLineAsync(Line($"Stuck in processing (re-queue or fail): {report.StuckProcessing}"));
        var sessions = report.Sessions;
        await output.WriteLineAsync(
            Line($"Recording sessions started before {sessions.Cutoff:yyyy-MM-dd HH:mm} UTC: ") +
            Line($"{sessions.Partitions.Count} weekly partitions to drop, {sessions.DefaultRows} default-partition rows to delete"));
        foreach (var partition in sessions.Partitions)
        {
            await output.WriteLineAsync(
                Line($"  {partition.PartitionName}  ends {partition.RangeEnd:yyyy-MM-dd}  {partition.Rows} sessions"));
        }
        return 0;
    }

    private static string Line(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
