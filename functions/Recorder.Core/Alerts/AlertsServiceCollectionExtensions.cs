using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Recorder.Core.Alerts;

public static class AlertsServiceCollectionExtensions
{
    /// <summary>The AlertsCheck service, its webhook client and its settings (section "Alerts").</summary>
    public static IServiceCollection AddRecorderAlerts(this IServiceCollection services)
    {
        services.AddOptions<AlertsOptions>().BindConfiguration(AlertsOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AlertsOptions>, AlertsOptionsValidator>());
        services.AddHttpClient(AlertWebhook.HttpClientName)
            .ConfigureHttpClient(
                (provider, client) => client.Timeout = provider.GetRequiredService<IOptions<AlertsOptions>>().Value.WebhookTimeout)
            // A redirect would re-send the alert elsewhere (as a GET): the webhook must answer itself.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false })
            // The default handlers log request URLs, and the webhook URL may carry a secret.
            .RemoveAllLoggers();
        services.AddSingleton<AlertConditions>();
        services.AddSingleton<AlertWebhook>();
        services.AddSingleton<AlertsCheckService>();
        return services;
    }
}
