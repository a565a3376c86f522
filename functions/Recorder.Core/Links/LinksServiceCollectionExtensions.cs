using Microsoft.Extensions.DependencyInjection;

namespace Recorder.Core.Links;

public static class LinksServiceCollectionExtensions
{
    /// <summary>Recordings in the main app's projects, content, social posts and AI tasks.</summary>
    public static IServiceCollection AddRecordingLinks(this IServiceCollection services)
    {
        services.AddSingleton<RecordingLinksService>();
        return services;
    }
}
