using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Recorder.Core.Partitions;
using Xunit;

namespace Recorder.Core.Tests.Partitions;

public sealed class PartitionOptionsTests
{
    [Fact]
    public void Session_retention_defaults_to_30_days()
    {
        var options = Resolve(new() { ["Partitions:WeeksAhead"] = "4" });

        Assert.Equal((4, 30, 1000, 50), (options.WeeksAhead, options.SessionRetentionDays, options.SessionBatchSize, options.SessionMaxBatches));
    }

    [Theory]
    [InlineData("Partitions:WeeksAhead", "0")]
    [InlineData("Partitions:SessionRetentionDays", "6")]
    [InlineData("Partitions:SessionBatchSize", "0")]
    [InlineData("Partitions:SessionMaxBatches", "0")]
    public void Settings_out_of_range_are_refused_naming_the_setting(string key, string value)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { [key] = value }));

        Assert.Contains(key, error.Message);
    }

    private static PartitionOptions Resolve(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddOptions<PartitionOptions>().BindConfiguration(PartitionOptions.SectionName);
        services.AddPartitionRetention();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<PartitionOptions>>().Value;
    }
}
