using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Privacy;

namespace Recorder.Cli.Commands;

internal sealed class ReplayErasuresCommand : ICliCommand
{
    public string Name => "replay-erasures";

    public string Usage => """
        replay-erasures
                       After a restore, erase again every user the erasure ledger says was erased since the backup's time,
                       in the restored database and in storage (rows, blobs, exports, sessions, edits, audit entries), as the
                       erasure did. Run it before the app takes traffic; running it again changes nothing.
                       --since <time>      the restore point, ISO 8601 (UTC unless it names an offset), e.g. 2026-03-01T04:00:00Z
        """;

    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        var text = context.Required("since");
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var since))
        {
            throw new CliUsageException($"--since '{text}' is not a time; give it as 2026-03-01T04:00:00Z.");
        }
        await using var services = context.BuildCoreServices();
        var replay = services.GetRequiredService<ErasureReplay>();

        var progress = ConsoleProgress.ForConsole(context.Output, "replay");
        ErasureReplayResult result;
        try
        {
            result = await replay.ReplayAsync(since, new Progress(progress), cancellationToken);
        }
        finally
        {
            progress.Complete();
        }
        await context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Erasure ledger since {since:u}: {result.Entries} erasures; {result.Replayed} applied again, " +
            $"{result.AlreadyApplied} already in this database, {result.StorageOnly} in storage only, " +
            $"{result.NothingFound} with nothing left to erase, {result.Held} kept by a legal hold."));
        if (result.Held > 0)
        {
            await context.Error.WriteLineAsync(
                "recorder replay-erasures: erasures under a legal hold stay pending; the privacy sweep finishes them once it is lifted.");
        }
        return 0;
    }

    private sealed class Progress(ConsoleProgress bar) : IProgress<PrivacyProgress>
    {
        public void Report(PrivacyProgress value) => bar.Report(new ProgressStep(value.Done, value.Total, value.Item));
    }
}
