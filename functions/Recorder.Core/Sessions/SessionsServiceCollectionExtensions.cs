using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Recorder.Core.Sessions;

public static class SessionsServiceCollectionExtensions
{
    /// <summary>The recording sessions API and the stale-session sweep, with their settings (section "Sessions").</summary>
    public static IServiceCollection AddRecordingSessions(this IServiceCollection services)
    {
        services.AddOptions<SessionOptions>().BindConfiguration(SessionOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SessionOptions>, SessionOptionsValidator>());
        services.AddSingleton<RecordingSessionsService>();
        services.AddSingleton<StaleSessionSweeper>();
        return services;
    }
}
