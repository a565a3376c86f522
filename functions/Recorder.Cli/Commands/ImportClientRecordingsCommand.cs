using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Imports;

namespace Recorder.Cli.Commands;

internal sealed class ImportClientRecordingsCommand : ICliCommand
{
    public string Name => "import-client-recordings";

    public string Usage => """
        import-client-recordings  Upload the recordings of a recorder-page export for a user, through the
                       normal upload path (quota, audit, ingest). Running it again skips what was imported and
                       finishes what was interrupted. Exit code 1 when an entry failed (each is named, with why).
                       --user <id>        the users.id the recordings will belong to
                       --manifest <path>  the export's ZIP as the page saved it, or manifest.json of the ZIP unpacked
        """;

    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        var userId = context.Required("user");
        var manifestPath = context.Required("manifest");
        ClientExport export;
        try
        {
            export = ClientExport.Open(manifestPath);
        }
        catch (ClientExportException exception)
        {
            await context.Error.WriteLineAsync($"recorder {Name}: {exception.Message}");
            return 1;
        }

        using (export)
        {
            await using var services = context.BuildCoreServices();
            var bar = ConsoleProgress.ForConsole(context.Output, "import");
            var summary = await services.GetRequiredService<ClientRecordingImporter>()
                .ImportAsync(userId, export, new ProgressLine(bar), cancellationToken);
            bar.Complete();
            await WriteSummaryAsync(context.Output, summary);
            return summary.Count(ClientImportOutcome.Failed) == 0 ? 0 : 1;
        }
    }

    private static async Task WriteSummaryAsync(TextWriter output, ClientImportSummary summary)
    {
        await output.WriteLineAsync(
            $"Imported {summary.Count(ClientImportOutcome.Imported)}, " +
            $"already imported {summary.Count(ClientImportOutcome.AlreadyImported)}, " +
            $"failed {summary.Count(ClientImportOutcome.Failed)} of {summary.Entries.Count} entries.");
        foreach (var failed in summary.Entries.Where(entry => entry.Outcome == ClientImportOutcome.Failed))
        {
            await output.WriteLineAsync($"  failed: entry {failed.Position} ({failed.Label}): {failed.Reason}");
        }
    }

    private static string Describe(ClientImportResult result) => result.Outcome switch
    {
        ClientImportOutcome.Imported => $"{result.Label}: uploaded as recording {result.RecordingId}",
        ClientImportOutcome.AlreadyImported => $"{result.Label}: already imported as recording {result.RecordingId}",
        _ => $"{result.Label}: failed",
    };

    /// <summary>Each entry's result as a step of the bar, on the importer's own thread (no SynchronizationContext hop).</summary>
    private sealed class ProgressLine(ConsoleProgress bar) : IProgress<ClientImportProgress>
    {
        public void Report(ClientImportProgress value) => bar.Report(new ProgressStep(value.Done, value.Total, Describe(value.Latest)));
    }
}
