using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Recorder.Core.LiveUploads;

public static class LiveUploadsServiceCollectionExtensions
{
    /// <summary>Live uploads (contact, limits, the block list) and their recovery, with their settings (section "LiveUpload").</summary>
    public static IServiceCollection AddLiveUploads(this IServiceCollection services)
    {
        services.AddOptions<LiveUploadOptions>().BindConfiguration(LiveUploadOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LiveUploadOptions>, LiveUploadOptionsValidator>());
        services.AddSingleton<BlockListReads>();
        services.AddSingleton<LiveUploadService>();
        services.AddSingleton<LiveUploadRecovery>();
        return services;
    }
}
