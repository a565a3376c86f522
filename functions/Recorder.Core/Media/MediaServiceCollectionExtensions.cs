using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Media.Ffmpeg;
using Recorder.Core.Media.Probe;
using Recorder.Core.Media.Thumbnails;

namespace Recorder.Core.Media;

public static class MediaServiceCollectionExtensions
{
    /// <summary><see cref="MediaProbe"/> and <see cref="ThumbnailMaker"/> over ffprobe/ffmpeg, configured from "Media".</summary>
    public static IServiceCollection AddMedia(this IServiceCollection services)
    {
        services.AddOptions<MediaOptions>()
            .BindConfiguration(MediaOptions.SectionName)
            .Validate(o => !string.IsNullOrWhiteSpace(o.FfprobePath) && !string.IsNullOrWhiteSpace(o.FfmpegPath),
                $"{MediaOptions.FfprobePathSetting} and {MediaOptions.FfmpegPathSetting} must name an executable.")
            .Validate(o => o.ProbeTimeout > TimeSpan.Zero && o.ThumbnailTimeout > TimeSpan.Zero,
                "Media__ProbeTimeout and Media__ThumbnailTimeout must be positive.")
            .Validate(o => o.ThumbnailWidth is >= 16 and <= 4096 && o.ThumbnailWidth % 2 == 0,
                "Media__ThumbnailWidth must be an even number of pixels between 16 and 4096.")
            .ValidateOnStart();
        services.AddSingleton<FfmpegRunner>();
        services.AddSingleton<MediaProbe>();
        services.AddSingleton<ThumbnailMaker>();
        return services;
    }
}
