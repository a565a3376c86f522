using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Recorder.Core.Lifecycle;
using Xunit;

namespace Recorder.Core.Tests.Lifecycle;

public sealed class LifecycleOptionsTests
{
    [Fact]
    public void Settings_bind_from_the_lifecycle_section_with_the_documented_defaults()
    {
        var options = Resolve(new() { ["Lifecycle:RetentionDays"] = "30" });

        Assert.Equal(30, options.RetentionDays);
        Assert.Equal(TimeSpan.FromHours(24), options.AbandonedUploadAfter);
        Assert.Equal(365, new LifecycleOptions().RetentionDays);
    }

    [Theory]
    [InlineData("Lifecycle:RetentionDays", "0")]
    [InlineData("Lifecycle:AbandonedUploadAfter", "00:10:00")]
    [InlineData("Lifecycle:BatchSize", "0")]
    [InlineData("Lifecycle:MaxBatches", "0")]
    [InlineData("Lifecycle:StuckProcessingAfter", "00:01:00")]
    [InlineData("Lifecycle:MaxProcessingRequeues", "-1")]
    [InlineData("Lifecycle:ReconcileAfter", "00:05:00")]
    [InlineData("Lifecycle:ReconcilePageSize", "0")]
    [InlineData("Lifecycle:ReconcileMaxPages", "0")]
    public void Settings_out_of_range_are_refused_naming_the_setting(string key, string value)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { [key] = value }));

        Assert.Contains(key, error.Message);
    }

    private static LifecycleOptions Resolve(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddRecordingLifecycle();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<LifecycleOptions>>().Value;
    }
}
