using Microsoft.Extensions.Configuration;
using Recorder.DevHost;
using Xunit;

namespace Recorder.Functions.Tests.DevHost;

public sealed class TimerScheduleTests
{
    private static readonly DateTime Start = new(2026, 3, 14, 10, 20, 30, DateTimeKind.Utc);

    private static IConfiguration Settings(params (string Key, string Value)[] values)
        => new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [Fact]
    public void Six_fields_start_with_seconds()
    {
        var schedule = TimerSchedule.Parse("15 */5 * * * *", Settings());

        Assert.Equal(new DateTime(2026, 3, 14, 10, 25, 15, DateTimeKind.Utc), schedule.GetNextOccurrence(Start));
    }

    [Fact]
    public void Five_fields_start_with_minutes()
    {
        var schedule = TimerSchedule.Parse("*/5 * * * *", Settings());

        Assert.Equal(new DateTime(2026, 3, 14, 10, 25, 0, DateTimeKind.Utc), schedule.GetNextOccurrence(Start));
    }

    [Fact]
    public void Setting_placeholder_is_resolved_from_configuration()
    {
        var schedule = TimerSchedule.Parse("%Maintenance__Schedule%", Settings(("Maintenance:Schedule", "0 15 3 * * *")));

        Assert.Equal("%Maintenance__Schedule%", schedule.Expression);
        Assert.Equal("0 15 3 * * *", schedule.Resolved);
        Assert.Equal(new DateTime(2026, 3, 15, 3, 15, 0, DateTimeKind.Utc), schedule.GetNextOccurrence(Start));
    }

    [Fact]
    public void Missing_setting_is_a_startup_error_naming_it()
    {
        var error = Assert.Throws<DevHostStartupException>(() => TimerSchedule.Parse("%PartitionMaintenanceSchedule%", Settings()));

        Assert.Contains("'PartitionMaintenanceSchedule'", error.Message);
    }

    [Fact]
    public void Missing_setting_error_from_the_catalog_names_the_function_too()
    {
        var error = Assert.Throws<DevHostStartupException>(
            () => FunctionCatalog.Create([typeof(MissingScheduleSettingFunction)], Settings(), "api"));

        Assert.Contains("UnsetScheduleTimer", error.Message);
        Assert.Contains("'NoSuchScheduleSetting'", error.Message);
    }

    [Theory]
    [InlineData("00:05:00")]
    [InlineData("1.00:00:00")]
    public void TimeSpan_schedules_are_rejected(string expression)
    {
        var error = Assert.Throws<DevHostStartupException>(() => TimerSchedule.Parse(expression, Settings()));

        Assert.Contains("TimeSpan", error.Message);
        Assert.Contains("NCRONTAB", error.Message);
    }

    [Fact]
    public void TimeSpan_schedule_from_a_setting_is_rejected_too()
    {
        var error = Assert.Throws<DevHostStartupException>(
            () => TimerSchedule.Parse("%Every%", Settings(("Every", "00:05:00"))));

        Assert.Contains("TimeSpan", error.Message);
    }

    [Theory]
    [InlineData("* * * *")]
    [InlineData("0 0 0 * * * *")]
    [InlineData("61 * * * * *")]
    [InlineData("0 0 0 * * Funday")]
    public void Invalid_expressions_are_startup_errors(string expression)
    {
        var error = Assert.Throws<DevHostStartupException>(() => TimerSchedule.Parse(expression, Settings()));

        Assert.Contains(expression, error.Message);
    }
}
