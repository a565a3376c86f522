using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Reports;

namespace Recorder.Cli.Commands;

internal sealed class ReportCommand : ICliCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string Name => "report";

    public bool TakesSubcommand => true;

    public string Usage => """
        report         Figures from the database, as recorder_maintenance (sizes are bytes; tables show KiB/MiB/GiB).
                       report storage [--top <n>]   users by storage in use against their limit (default 20), and every status
                       report activity [--days <n>] recordings and sessions per UTC day (default 30, today included)
                       --format table|json          default: table
        """;

    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        var json = (context.Arguments.Single("format") ?? "table") switch
        {
            "table" => false,
            "json" => true,
            var other => throw new CliUsageException($"--format must be table or json, not '{other}'."),
        };
        await using var services = context.BuildCoreServices();
        var reports = services.GetRequiredService<OperationsReports>();
        switch (context.Arguments.Subcommand)
        {
            case "storage":
                var storage = await reports.StorageAsync(PositiveOption(context, "top", 20, OperationsReports.MaxTop), cancellationToken);
                if (json)
                {
                    await context.Output.WriteLineAsync(JsonSerializer.Serialize(storage, Json));
                }
                else
                {
                    WriteStorage(context.Output, storage);
                }
                return 0;
            case "activity":
                var activity = await reports.ActivityAsync(PositiveOption(context, "days", 30, OperationsReports.MaxDays),
                    cancellationToken);
                if (json)
                {
                    await context.Output.WriteLineAsync(JsonSerializer.Serialize(activity, Json));
                }
                else
                {
                    WriteActivity(context.Output, activity);
                }
                return 0;
            case null:
                throw new CliUsageException("Say which report: storage or activity.");
            case var other:
                throw new CliUsageException($"Unknown report '{other}': storage or activity.");
        }
    }

    private static int PositiveOption(CliContext context, string name, int defaultValue, int max)
    {
        var text = context.Arguments.Single(name);
        if (text is null)
        {
            return defaultValue;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1 && value <= max
            ? value
            : throw new CliUsageException($"--{name} must be a whole number from 1 to {max}.");
    }

    private static void WriteStorage(TextWriter output, StorageReport report)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Storage in use (uploads pending, processing and completed, as the quota counts): " +
            $"{TextTable.Size(report.UsedBytes)} ({report.UsedBytes} bytes) " +
            $"by {report.UsersWithRecordings} {(report.UsersWithRecordings == 1 ? "user" : "users")}"));
        output.WriteLine();
        var users = new TextTable(("User", false), ("Recordings", true), ("Used", true), ("Limit", true), ("Limit from", false),
            ("% of limit", true));
        foreach (var user in report.TopUsers)
        {
            users.Add(user.UserId, user.Recordings.ToString(CultureInfo.InvariantCulture),
                TextTable.Size(user.UsedBytes), TextTable.Size(user.LimitBytes),
                user.OwnLimit ? "user" : "default", TextTable.Number(user.PercentOfLimit, "0.00"));
        }
        users.WriteTo(output);
        output.WriteLine();
        var statuses = new TextTable(("Status", false), ("Recordings", true), ("Size", true));
        foreach (var status in report.ByStatus)
        {
            statuses.Add(status.Status, status.Recordings.ToString(CultureInfo.InvariantCulture), TextTable.Size(status.Bytes));
        }
        statuses.WriteTo(output);
    }

    private static void WriteActivity(TextWriter output, IReadOnlyList<ActivityDay> days)
    {
        var table = new TextTable(
            ("Date (UTC)", false), ("Created", true), ("Completed", true), ("Failed", true), ("In progress", true),
            ("Avg duration (s)", true), ("Completed size", true), ("Sessions", true), ("Interrupted", true));
        foreach (var day in days)
        {
            table.Add(
                day.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                Count(day.Created), Count(day.Completed), Count(day.Failed), Count(day.InProgress),
                TextTable.Number(day.AverageDurationSeconds, "0.000"), TextTable.Size(day.CompletedBytes),
                Count(day.SessionsStarted), Count(day.SessionsInterrupted));
        }
        table.WriteTo(output);
    }

    private static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);
}
