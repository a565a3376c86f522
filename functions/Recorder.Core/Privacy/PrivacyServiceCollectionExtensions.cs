using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Recorder.Core.Privacy;

public static class PrivacyServiceCollectionExtensions
{
    /// <summary>Data exports, erasure and the privacy sweep, with their settings (section "Privacy").</summary>
    public static IServiceCollection AddPrivacy(this IServiceCollection services)
    {
        services.AddOptions<PrivacyOptions>().BindConfiguration(PrivacyOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PrivacyOptions>, PrivacyOptionsValidator>());
        services.AddSingleton<PrivacyExportQueue>();
        services.AddSingleton<PrivacyExportWriter>();
        services.AddSingleton<PrivacyExportService>();
        services.AddSingleton<ErasureQueue>();
        services.AddSingleton<ErasureDatabaseSteps>();
        services.AddSingleton<ErasureDeadLetterScan>();
        services.AddSingleton<ErasureStorageSweep>();
        services.AddSingleton<ErasureLedger>();
        services.AddSingleton<ErasureService>();
        services.AddSingleton<ErasureReplay>();
        services.AddSingleton<PrivacySweeper>();
        return services;
    }
}
