using System.Text.Json;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Azure.Messaging.EventGrid.SystemEvents;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Api;
using Recorder.Core.Storage;

namespace Recorder.Core.Ingest;

/// <summary>What the webhook answers Event Grid.</summary>
public abstract record WebhookResult
{
    private WebhookResult()
    {
    }

    /// <summary>The Event Grid schema's subscription handshake: echo the code.</summary>
    public sealed record Validation(string ValidationCode) : WebhookResult;

    public sealed record Handled(int Accepted, int Ignored) : WebhookResult;

    /// <summary>A body that can never succeed (Event Grid dead-letters it without retrying).</summary>
    public sealed record Invalid(Failure Failure) : WebhookResult;
}

/// <summary>
/// Parses Event Grid deliveries (Event Grid or CloudEvents 1.0 schema) and passes each BlobCreated of our uploads container
/// to <see cref="BlobEventAcceptor"/>, which refuses all but a browser upload; everything else is acknowledged and ignored.
/// Storage and database failures propagate, so the caller answers 5xx and Event Grid retries.
/// </summary>
public sealed class EventGridWebhook(BlobEventAcceptor acceptor, IOptions<IngestOptions> ingestOptions,
    IOptions<StorageOptions> storageOptions, ILogger<EventGridWebhook> logger)
{
    private const string BlobCreatedType = "Microsoft.Storage.BlobCreated";

    public async Task<WebhookResult> HandleAsync(BinaryData body, CancellationToken cancellationToken)
    {
        // No storage event carries such text, and a field of one would fail the database as a 5xx that Event Grid retries.
        if (StorableText.ProblemsIn(body.ToMemory()) is { } unstorable)
        {
            logger.LogWarning("Webhook body holds text PostgreSQL cannot store in {Fields}", string.Join(", ", unstorable.Errors!.Keys));
            return new WebhookResult.Invalid(unstorable);
        }
        IReadOnlyList<(string Id, string? Topic, string? Subject, string Type, object? Data)> events;
        try
        {
            events = IsCloudEvents(body) ? ParseCloudEvents(body) : ParseEventGridEvents(body);
        }
        catch (Exception exception) when (exception is JsonException or FormatException or ArgumentException or InvalidOperationException)
        {
            logger.LogWarning("Webhook body is not an Event Grid or CloudEvents delivery: {Error}", exception.Message);
            return new WebhookResult.Invalid(
                new Failure(FailureKind.Validation, "The body is not an Event Grid (JSON array) or CloudEvents 1.0 delivery."));
        }

        if (events.Select(e => e.Data).OfType<SubscriptionValidationEventData>().FirstOrDefault() is { } validation)
        {
            logger.LogInformation("Event Grid subscription validation handshake answered");
            return new WebhookResult.Validation(validation.ValidationCode);
        }

        int accepted = 0, ignored = 0;
        foreach (var delivered in events)
        {
            if (ToBlobCreated(delivered) is { } blobCreated)
            {
                await acceptor.AcceptAsync(blobCreated, cancellationToken);
                accepted++;
            }
            else
            {
                ignored++;
            }
        }
        return new WebhookResult.Handled(accepted, ignored);
    }

    private BlobCreatedEvent? ToBlobCreated((string Id, string? Topic, string? Subject, string Type, object? Data) delivered)
    {
        var options = ingestOptions.Value;
        string? reason = null;
        var location = BlobCreatedEvent.ParseSubject(delivered.Subject);
        if (delivered.Type != BlobCreatedType || delivered.Data is not StorageBlobCreatedEventData data)
        {
            reason = "not a BlobCreated event";
        }
        else if (!string.Equals(delivered.Topic, options.StorageAccountTopic, StringComparison.OrdinalIgnoreCase))
        {
            reason = "another storage account";
        }
        else if (location is null || location.Value.Container != storageOptions.Value.UploadsContainer)
        {
            reason = "not the uploads container";
        }
        else if (string.IsNullOrEmpty(data.ETag) || string.IsNullOrEmpty(data.Sequencer))
        {
            reason = "no eTag or sequencer";
        }
        else
        {
            return new BlobCreatedEvent(delivered.Id, delivered.Topic!, location.Value.Container, location.Value.BlobName, data.Api,
                QuotedETag(data.ETag), data.Sequencer, data.ContentLength ?? 0, data.ContentType);
        }
        logger.LogDebug("Ignored event {EventId} of type {EventType}: {Reason}", delivered.Id, delivered.Type, reason);
        return null;
    }

    // Event Grid sends 0x8D…; storage's headers (and If-Match) use "0x8D…". One form, so comparisons hold.
    private static string QuotedETag(string eTag) => $"\"{eTag.Trim('"')}\"";

    // The Event Grid schema is always an array of objects with "eventType"; CloudEvents carry "specversion".
    private static bool IsCloudEvents(BinaryData body)
    {
        using var document = JsonDocument.Parse(body);
        var first = document.RootElement.ValueKind == JsonValueKind.Array
            ? document.RootElement.EnumerateArray().FirstOrDefault()
            : document.RootElement;
        return first.ValueKind == JsonValueKind.Object && first.TryGetProperty("specversion", out _);
    }

    private static List<(string, string?, string?, string, object?)> ParseEventGridEvents(BinaryData body)
        => EventGridEvent.ParseMany(body)
            .Select(e => (e.Id, (string?)e.Topic, (string?)e.Subject, e.EventType, e.TryGetSystemEventData(out var data) ? data : null))
            .ToList();

    private static List<(string, string?, string?, string, object?)> ParseCloudEvents(BinaryData body)
        => CloudEvent.ParseMany(body)
            .Select(e => (e.Id, (string?)e.Source, e.Subject, e.Type, e.TryGetSystemEventData(out var data) ? data : null))
            .ToList();
}
