using System.Globalization;
using NCrontab;

namespace Recorder.DevHost;

/// <summary>
/// A [TimerTrigger] schedule as the Functions host reads it: NCRONTAB with six fields (seconds first), five
/// accepted too, and <c>%Setting%</c> placeholders taken from configuration. Occurrences are in UTC, the
/// Functions default.
/// </summary>
public sealed class TimerSchedule
{
    private readonly CrontabSchedule schedule;

    private TimerSchedule(string expression, string resolved, CrontabSchedule schedule)
    {
        Expression = expression;
        Resolved = resolved;
        this.schedule = schedule;
    }

    /// <summary>As written in the attribute, e.g. <c>%PartitionMaintenanceSchedule%</c>.</summary>
    public string Expression { get; }

    /// <summary>After settings were substituted, e.g. <c>0 15 3 * * *</c>.</summary>
    public string Resolved { get; }

    public DateTime GetNextOccurrence(DateTime afterUtc) => DateTime.SpecifyKind(schedule.GetNextOccurrence(afterUtc), DateTimeKind.Utc);

    public static TimerSchedule Parse(string expression, IConfiguration configuration)
    {
        var resolved = SettingPlaceholders.Resolve(expression, configuration, "schedule").Trim();

        if (TimeSpan.TryParse(resolved, CultureInfo.InvariantCulture, out _))
        {
            throw new DevHostStartupException(
                $"schedule '{resolved}' is a TimeSpan; the dev host supports NCRONTAB schedules only (e.g. " +
                $"'0 */5 * * * *' for every five minutes).");
        }

        var fields = resolved.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6))
        {
            throw new DevHostStartupException($"schedule '{resolved}' has {fields} fields; NCRONTAB needs 6 (seconds first) or 5.");
        }
        try
        {
            var options = new CrontabSchedule.ParseOptions { IncludingSeconds = fields == 6 };
            return new TimerSchedule(expression, resolved, CrontabSchedule.Parse(resolved, options));
        }
        catch (CrontabException exception)
        {
            throw new DevHostStartupException($"schedule '{resolved}' is not valid NCRONTAB: {exception.Message}");
        }
    }
}
