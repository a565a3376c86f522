using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Api;
using Recorder.Core.Privacy;

namespace Recorder.Cli.Commands;

internal sealed class EraseUserCommand : ICliCommand
{
    public string Name => "erase-user";

    public string Usage => """
        erase-user     Erase all of a user's recorder data (recordings, blobs, sessions, edits, exports, audit entries),
                       as DELETE /api/me/recordings-data does, but here and to the end (no queue worker); running it
                       again finishes an interrupted erasure.
                       Refused (exit 1) while the user or one of their recordings is under a legal hold.
                       --user <id>         the user
                       --confirm <id>      the same user id again: nothing is erased without it
        """;

    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        var userId = context.Required("user");
        if (context.Arguments.Single("confirm") != userId)
        {
            throw new CliUsageException($"Erasure cannot be undone: add '--confirm {userId}' to erase the recorder data of user {userId}.");
        }
        await using var services = context.BuildCoreServices();
        var erasures = services.GetRequiredService<ErasureService>();

        var progress = ConsoleProgress.ForConsole(context.Output, "erase");
        ServiceResult<ErasureReceipt> result;
        try
        {
            result = await erasures.EraseAsync(userId, new Progress(progress), cancellationToken);
        }
        finally
        {
            progress.Complete();
        }
        if (result.Failure is { } refused)
        {
            await context.Error.WriteLineAsync($"recorder erase-user: {refused.Detail} It can be erased once the hold is lifted.");
            return 1;
        }
        var receipt = result.Value!;

        var counts = receipt.Counts;
        await context.Output.WriteLineAsync(
            $"Erasure {receipt.ErasureId} ({receipt.Status}): {counts.Recordings} recordings, {counts.Sessions} sessions, " +
            $"{counts.Edits} edits, {counts.Exports} exports, {counts.AuditEntries} audit entries; " +
            $"{counts.Blobs} blobs, {counts.Snapshots} snapshots, {counts.Versions} versions deleted; " +
            $"{counts.ReleasedContent + counts.ReleasedSocialPosts + counts.ReleasedAiTasks} app rows released. " +
            $"Receipt subject: {receipt.SubjectHash}.");
        switch (receipt.Status)
        {
            case ErasureReceipt.Pending:
                await context.Error.WriteLineAsync(
                    "recorder erase-user: storage or the erasure ledger could not be reached (see the log above); " +
                    "run the command again (or let the privacy sweep) to finish.");
                return 1;
            case ErasureReceipt.Finishing:
                await context.Output.WriteLineAsync(
                    $"The rows are gone; the privacy sweep keeps clearing late writes until {receipt.FinishAfter:u}, " +
                    $"then forgets the user id.");
                break;
        }
        if (counts.SoftDeletedLeftToRetention > 0)
        {
            await context.Output.WriteLineAsync(
                $"{counts.SoftDeletedLeftToRetention} soft-deleted blobs remain until the account's soft-delete retention ends.");
        }
        return 0;
    }

    private sealed class Progress(ConsoleProgress bar) : IProgress<PrivacyProgress>
    {
        public void Report(PrivacyProgress value) => bar.Report(new ProgressStep(value.Done, value.Total, value.Item));
    }
}
