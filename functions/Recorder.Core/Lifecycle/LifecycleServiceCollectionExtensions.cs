using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Recorder.Core.Lifecycle;

public static class LifecycleServiceCollectionExtensions
{
    /// <summary>The recording lifecycle sweep with its settings (section "Lifecycle").</summary>
    public static IServiceCollection AddRecordingLifecycle(this IServiceCollection services)
    {
        services.AddOptions<LifecycleOptions>().BindConfiguration(LifecycleOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LifecycleOptions>, LifecycleOptionsValidator>());
        services.AddSingleton<RecordingLifecycleSweeper>();
        services.AddSingleton<UploadReconciler>();
        services.AddSingleton<StuckProcessingSweep>();
        services.AddSingleton<RetentionAdministration>();
        return services;
    }
}
