using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Recorder.Core.Notifications;

public static class NotificationsServiceCollectionExtensions
{
    /// <summary>The recording-events webhook delivery, its HttpClient and its settings (section "Webhooks").</summary>
    public static IServiceCollection AddRecordingNotifications(this IServiceCollection services)
    {
        services.AddOptions<RecordingWebhookOptions>().BindConfiguration(RecordingWebhookOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(
            ServiceDescriptor.Singleton<IValidateOptions<RecordingWebhookOptions>, RecordingWebhookOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(RecordingWebhookDelivery.HttpClientName)
            .ConfigureHttpClient((provider, client) =>
                client.Timeout = provider.GetRequiredService<IOptions<RecordingWebhookOptions>>().Value.Timeout)
            // A redirect would send the event elsewhere: the receiver must answer itself.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false })
            // The default handlers log request URLs, and the URL may carry the receiver's token.
            .RemoveAllLoggers();
        services.AddSingleton<RecordingWebhookDelivery>();
        return services;
    }
}
