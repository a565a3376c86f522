using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Notifications;

namespace Recorder.Functions.Timers;

/// <summary>Recording events to the webhook, retries, pruning (schedule: setting RecordingEventsDeliverySchedule).</summary>
public sealed class RecordingEventsDelivery(RecordingWebhookDelivery delivery)
{
    [Function(nameof(RecordingEventsDelivery))]
    public Task Run([TimerTrigger("%RecordingEventsDeliverySchedule%")] TimerInfo timer, CancellationToken cancellationToken)
        => delivery.RunAsync(cancellationToken);
}
