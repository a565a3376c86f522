using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Recorder.Core.Alerts;
using Xunit;

namespace Recorder.Core.Tests.Alerts;

public sealed class AlertsOptionsTests
{
    [Fact]
    public void Settings_bind_from_the_alerts_section_with_the_documented_defaults()
    {
        var options = Resolve(new()
        {
            ["Alerts:DatabaseSizeBudgetBytes"] = "1000",
            ["Alerts:WebhookUrl"] = "https://hooks.example.test/T0KEN",
            ["Alerts:WebhookTimeout"] = "00:00:05",
        });

        Assert.Equal((80m, 100m, 20), (options.StorageWarningPercent, options.StorageCriticalPercent, options.FailureMinimumSample));
        Assert.Equal((85m, 95m), (options.DatabaseSizeWarningPercent, options.DatabaseSizeCriticalPercent));
        Assert.True(options.ChecksDatabaseSize);
        Assert.Equal(new Uri("https://hooks.example.test/T0KEN"), options.Webhook);
        Assert.Equal(TimeSpan.FromSeconds(5), options.WebhookTimeout);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    public void An_unset_or_zero_budget_turns_the_database_size_check_off(string budget)
    {
        var options = Resolve(new() { ["Alerts:DatabaseSizeBudgetBytes"] = budget, ["Alerts:WebhookUrl"] = "" });

        Assert.False(options.ChecksDatabaseSize);
        Assert.Null(options.Webhook);
    }

    [Theory]
    [InlineData("Alerts:StorageWarningPercent", "0", "Alerts:StorageWarningPercent")]
    [InlineData("Alerts:StorageWarningPercent", "101", "Alerts:StorageWarningPercent")]
    [InlineData("Alerts:RecordingFailureCriticalPercent", "101", "Alerts:RecordingFailureCriticalPercent")]
    [InlineData("Alerts:SessionInterruptionWarningPercent", "60", "Alerts:SessionInterruptionWarningPercent")]
    [InlineData("Alerts:DatabaseSizeCriticalPercent", "84", "Alerts:DatabaseSizeCriticalPercent")]
    [InlineData("Alerts:FailureMinimumSample", "0", "Alerts:FailureMinimumSample")]
    [InlineData("Alerts:DatabaseSizeBudgetBytes", "-1", "Alerts:DatabaseSizeBudgetBytes")]
    [InlineData("Alerts:WebhookTimeout", "00:00:00", "Alerts:WebhookTimeout")]
    [InlineData("Alerts:WebhookMaxDeliveries", "0", "Alerts:WebhookMaxDeliveries")]
    public void Settings_out_of_range_are_refused_naming_the_setting(string key, string value, string named)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { [key] = value }));

        Assert.Contains(named, error.Message);
    }

    [Theory]
    [InlineData("not a url T0KEN")]
    [InlineData("ftp://hooks.example.test/T0KEN")]
    [InlineData("/relative/T0KEN")]
    public void A_bad_webhook_url_is_refused_without_repeating_it(string url)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["Alerts:WebhookUrl"] = url }));

        Assert.Contains("Alerts:WebhookUrl", error.Message);
        Assert.DoesNotContain("T0KEN", error.Message);
    }

    private static AlertsOptions Resolve(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddRecorderAlerts();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<AlertsOptions>>().Value;
    }
}
