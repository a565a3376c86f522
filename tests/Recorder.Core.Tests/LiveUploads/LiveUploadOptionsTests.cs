using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Recorder.Core.LiveUploads;
using Xunit;

namespace Recorder.Core.Tests.LiveUploads;

public sealed class LiveUploadOptionsTests
{
    [Fact]
    public void Settings_bind_from_the_live_upload_section_over_storage_limits_by_default()
    {
        var options = Resolve(new() { ["LiveUpload:SilenceTimeout"] = "00:00:30" });

        Assert.Equal((TimeSpan.FromSeconds(30), 50_000, 100), (options.SilenceTimeout, options.MaxBlocks, options.SweepBatchSize));
        Assert.Equal(TimeSpan.FromMinutes(2), Resolve([]).SilenceTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), Resolve([]).BlockListReadInterval);
    }

    [Fact]
    public void A_block_list_read_interval_longer_than_half_the_silence_timeout_is_refused()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new()
        {
            ["LiveUpload:SilenceTimeout"] = "00:00:30",
            ["LiveUpload:BlockListReadInterval"] = "00:00:16",
        }));

        Assert.Contains("LiveUpload:BlockListReadInterval", error.Message);
        Assert.Equal(TimeSpan.FromSeconds(15), Resolve(new()
        {
            ["LiveUpload:SilenceTimeout"] = "00:00:30",
            ["LiveUpload:BlockListReadInterval"] = "00:00:15",
        }).BlockListReadInterval);
    }

    [Theory]
    [InlineData("LiveUpload:SilenceTimeout", "00:00:00.500")]
    [InlineData("LiveUpload:SilenceTimeout", "2.00:00:00")] // uncommitted blocks would near storage's 7 days
    [InlineData("LiveUpload:MaxBlocks", "50001")]           // more than storage commits
    [InlineData("LiveUpload:MaxBlocks", "0")]
    [InlineData("LiveUpload:SweepBatchSize", "0")]
    [InlineData("LiveUpload:BlockListReadInterval", "00:01:01")]
    [InlineData("LiveUpload:BlockListReadInterval", "-00:00:01")]
    public void Settings_out_of_range_are_refused_naming_the_setting(string key, string value)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { [key] = value }));

        Assert.Contains(key, error.Message);
    }

    private static LiveUploadOptions Resolve(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLiveUploads();
        return services.BuildServiceProvider().GetRequiredService<IOptions<LiveUploadOptions>>().Value;
    }
}
