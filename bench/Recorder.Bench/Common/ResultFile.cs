using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Recorder.Bench.Common;

/// <summary>
/// One bench/results/&lt;name&gt;.md: the machine, the command, what else was running, then the sections a
/// benchmark adds. Written once at the end, so a run that fails leaves the previous file in place.
/// </summary>
public sealed class ResultFile(string name, string title)
{
    private readonly StringBuilder body = new();

    public static CultureInfo Invariant => CultureInfo.InvariantCulture;

    public void Line(string text = "") => body.AppendLine(text);

    public void Section(string heading) => body.AppendLine().AppendLine("## " + heading).AppendLine();

    public void Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        body.AppendLine("| " + string.Join(" | ", header) + " |");
        body.AppendLine("|" + string.Concat(header.Select((_, i) => i == 0 ? "---|" : "---:|")));
        foreach (var row in rows)
        {
            body.AppendLine("| " + string.Join(" | ", row) + " |");
        }
    }

    public void Code(string text, string language = "")
    {
        body.AppendLine("```" + language).AppendLine(text.TrimEnd()).AppendLine("```");
    }

    /// <summary>scripts/bench.sh BENCH_DURABLE=1: the bench profile's PostgreSQL flushes every commit, as Azure's does.</summary>
    public static bool DurableCommits => Environment.GetEnvironmentVariable("RECORDER_PG_DURABLE") == "1";

    public string Write(string repositoryRoot, string command)
    {
        var text = new StringBuilder()
            .AppendLine("# " + title).AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, commit {GitCommit(repositoryRoot)}.").AppendLine()
            .AppendLine(Machine.Describe()).AppendLine()
            .AppendLine("Command:").AppendLine()
            .AppendLine("```sh").AppendLine(command).AppendLine("```").AppendLine()
            .AppendLine(Machine.Contention())
            .AppendLine(DurableCommits
                ? "PostgreSQL flushed every commit (BENCH_DURABLE=1: fsync, synchronous_commit and full_page_writes on, as Azure's server)."
                : "PostgreSQL ran as the disposable profiles do: fsync, synchronous_commit and full_page_writes off (a commit is not "
                    + "flushed; BENCH_DURABLE=1 runs with them on).").AppendLine()
            .Append(body)
            .ToString();
        // The analysis is written by hand (why a target is missed, what would close it) and kept beside the code.
        var notes = Path.Combine(repositoryRoot, "bench", "notes", name + ".md");
        if (File.Exists(notes))
        {
            text += Environment.NewLine + File.ReadAllText(notes);
        }
        // A durable run is kept beside the other, not in its place: the two differ in what a commit costs.
        var path = Path.Combine(repositoryRoot, "bench", "results", name + (DurableCommits ? "-durable" : "") + ".md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static string GitCommit(string repositoryRoot)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["-C", repositoryRoot, "rev-parse", "--short", "HEAD"]) { RedirectStandardOutput = true })!;
            var commit = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            using var status = Process.Start(new ProcessStartInfo("git", ["-C", repositoryRoot, "status", "--porcelain", "--", "bench", "functions", "migrations", "scripts"]) { RedirectStandardOutput = true })!;
            var changed = status.StandardOutput.ReadToEnd().Trim().Length > 0;
            status.WaitForExit();
            return commit.Length == 0 ? "unknown" : changed ? commit + " with uncommitted changes" : commit;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
