using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Privacy;

namespace Recorder.Cli.Commands;

internal sealed class ExportUserCommand : ICliCommand
{
    public string Name => "export-user";

    public string Usage => """
        export-user    Write all of a user's recorder data (rows as JSON, media, thumbnails) to a zip, as POST /api/me/export does.
                       --user <id>         the user
                       --out <file.zip>    where to write it (an existing file is not replaced)
        """;

    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        var userId = context.Required("user");
        var path = Path.GetFullPath(context.Required("out"));
        if (File.Exists(path))
        {
            throw new CliUsageException($"{path} exists already; name a new file.");
        }
        await using var services = context.BuildCoreServices();
        var writer = services.GetRequiredService<PrivacyExportWriter>();

        var progress = ConsoleProgress.ForConsole(context.Output, "export");
        ExportSummary summary;
        // Written beside the target and moved into place when complete: an interrupted run leaves no half zip under the name.
        var partial = path + ".partial";
        try
        {
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                summary = await writer.WriteAsync(userId, file, "cli", exportId: null, new Progress(progress), cancellationToken);
            }
            File.Move(partial, path, overwrite: false);
        }
        finally
        {
            progress.Complete();
            File.Delete(partial);
        }

        await context.Output.WriteLineAsync(
            $"Exported user {userId} to {path}: {string.Join(", ", summary.Rows.Select(pair => $"{pair.Value} {pair.Key}"))}; " +
            $"{summary.Files} files ({summary.FileBytes} bytes)" +
            $"{(summary.MissingFiles > 0 ? $", {summary.MissingFiles} files gone meanwhile" : "")}.");
        return 0;
    }

    /// <summary>The export's progress on the console's bar.</summary>
    private sealed class Progress(ConsoleProgress bar) : IProgress<PrivacyProgress>
    {
        public void Report(PrivacyProgress value) => bar.Report(new ProgressStep(value.Done, value.Total, value.Item));
    }
}
