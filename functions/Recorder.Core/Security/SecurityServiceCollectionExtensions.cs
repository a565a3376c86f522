using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Recorder.Core.Security;

public static class SecurityServiceCollectionExtensions
{
    /// <summary>
    /// <see cref="RequestAuthenticator"/> and its settings (section "Auth", validated at start-up).
    /// Needs <see cref="Data.RecorderDataSources"/>, which <c>AddRecorderCore</c> registers.
    /// </summary>
    public static IServiceCollection AddRecorderSecurity(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<RequestAuthenticator>();
        return services;
    }
}
