using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Recorder.Core.Media;
using Recorder.Core.Media.Probe;
using Recorder.Core.Media.Thumbnails;
using Xunit;

namespace Recorder.Core.Tests.Media.Ffmpeg;

public sealed class MediaRegistrationTests
{
    [Fact]
    public void Registers_the_probe_and_the_thumbnail_maker_with_settings_from_Media()
    {
        using var services = Build(new()
        {
            ["Media:FfprobePath"] = "/opt/ffmpeg/bin/ffprobe",
            ["Media:ProbeTimeout"] = "00:00:30",
            ["Media:ThumbnailWidth"] = "480",
        });

        var options = services.GetRequiredService<IOptions<MediaOptions>>().Value;

        Assert.NotNull(services.GetRequiredService<MediaProbe>());
        Assert.NotNull(services.GetRequiredService<ThumbnailMaker>());
        Assert.Equal(("/opt/ffmpeg/bin/ffprobe", "ffmpeg", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(120), 480),
            (options.FfprobePath, options.FfmpegPath, options.ProbeTimeout, options.ThumbnailTimeout, options.ThumbnailWidth));
    }

    [Theory]
    [InlineData("Media:FfmpegPath", "", "Media__FfmpegPath")]
    [InlineData("Media:ThumbnailTimeout", "00:00:00", "Media__ThumbnailTimeout")]
    [InlineData("Media:ThumbnailWidth", "321", "Media__ThumbnailWidth")]
    public void Refuses_settings_that_cannot_work_naming_them(string key, string value, string setting)
    {
        using var services = Build(new() { [key] = value });

        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<MediaOptions>>().Value);

        Assert.Contains(setting, exception.Message);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
        => new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .AddLogging()
            .AddMedia()
            .BuildServiceProvider();
}
