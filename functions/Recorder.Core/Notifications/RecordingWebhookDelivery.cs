using System.Globalization;
using System.Net;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Data;

namespace Recorder.Core.Notifications;

/// <summary>What one delivery run did.</summary>
public sealed record RecordingWebhookRun(int Delivered, int Failed, int Abandoned, int Pruned);

/// <summary>
/// Sends the outbox of recording events (recording_events, written by migration 032's triggers in the transaction of
/// each status change) to the webhook, as recorder_maintenance: due events claimed with SKIP LOCKED, a recording's
/// events in order, each signed; a failure backs off that event, and when the receiver itself is unwell the whole
/// delivery backs off too (this instance's runs skip it until then). The URL may carry the receiver's token and is
/// never logged; the secret never leaves the signature.
/// </summary>
public sealed class RecordingWebhookDelivery(
    RecorderDataSources dataSources,
    IHttpClientFactory httpClients,
    IOptions<RecordingWebhookOptions> options,
    TimeProvider time,
    ILogger<RecordingWebhookDelivery> logger)
{
    public const string HttpClientName = "recording-webhook";

    private const string Pending = "delivered_at IS NULL AND abandoned_at IS NULL";

    // An event waits while an earlier one of its recording is owed (idx_recording_events_pending), so a receiver sees a
    // recording's changes in order; that earlier one locked by another run counts as owed too.
    private const string ClaimSql = $"""
        SELECT e.id AS Id, e.recording_id AS RecordingId, e.payload ->> 'eventId' AS EventId, e.payload::text AS Body,
               e.attempts AS Attempts
        FROM recording_events e
        WHERE e.delivered_at IS NULL AND e.abandoned_at IS NULL AND e.next_attempt_at <= now()
          AND NOT EXISTS (SELECT 1 FROM recording_events earlier
                          WHERE earlier.recording_id = e.recording_id AND earlier.id < e.id
                            AND earlier.delivered_at IS NULL AND earlier.abandoned_at IS NULL)
        ORDER BY e.id
        LIMIT @BatchSize
        FOR UPDATE OF e SKIP LOCKED
        """;

    private const string DeliveredSql = """
        UPDATE recording_events SET delivered_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = @Id
        """;

    private const string FailedSql = """
        UPDATE recording_events SET attempts = attempts + 1, next_attempt_at = now() + @Delay, last_error = @Error WHERE id = @Id
        """;

    private const string AbandonSql = $"""
        UPDATE recording_events SET abandoned_at = now() WHERE {Pending} AND created_at < now() - @GiveUpAfter
        """;

    // Without a webhook nothing is owed: the channel was the notification, and setting a URL later replays no history.
    private const string DropUnsentSql = $"DELETE FROM recording_events WHERE {Pending}";

    private const string PruneSql = $"""
        DELETE FROM recording_events WHERE created_at < now() - @Retention AND NOT ({Pending})
        """;

    private const string CountPendingSql = $"SELECT count(*)::int FROM recording_events WHERE {Pending}";

    // The receiver's own back-off: consecutive runs it was unwell in, and when this instance tries it again.
    private int receiverFailures;
    private DateTimeOffset receiverRetryAt = DateTimeOffset.MinValue;

    /// <summary>One run: give up on events past their age, deliver what is due, prune what is settled and old.</summary>
    public async Task<RecordingWebhookRun> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        int delivered = 0, failed = 0, abandoned = 0;
        if (settings.Webhook is not { } webhook)
        {
            await connection.ExecuteAsync(new CommandDefinition(DropUnsentSql, cancellationToken: cancellationToken));
        }
        else
        {
            abandoned = await connection.ExecuteAsync(
                new CommandDefinition(AbandonSql, new { settings.GiveUpAfter }, cancellationToken: cancellationToken));
            if (abandoned > 0)
            {
                logger.LogError(
                    "Recording webhook gave up on {Abandoned} events not delivered within {GiveUpAfter}; " +
                    "they stay in recording_events (abandoned_at) until pruned",
                    abandoned, settings.GiveUpAfter);
            }
            if (time.GetUtcNow() >= receiverRetryAt)
            {
                (delivered, failed) = await DeliverDueAsync(connection, webhook, settings, cancellationToken);
            }
        }
        var pruned = await connection.ExecuteAsync(
            new CommandDefinition(PruneSql, new { settings.Retention }, cancellationToken: cancellationToken));
        return new RecordingWebhookRun(delivered, failed, abandoned, pruned);
    }

    private async Task<(int Delivered, int Failed)> DeliverDueAsync(
        NpgsqlConnection connection, Uri webhook, RecordingWebhookOptions settings, CancellationToken cancellationToken)
    {
        var client = httpClients.CreateClient(HttpClientName);
        int delivered = 0, failed = 0;
        string? receiverUnwell = null;
        while (receiverUnwell is null && !cancellationToken.IsCancellationRequested && delivered + failed < settings.MaxEventsPerRun)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var due = (await connection.QueryAsync<DueEvent>(new CommandDefinition(ClaimSql,
                new { BatchSize = Math.Min(settings.BatchSize, settings.MaxEventsPerRun - delivered - failed) }, transaction,
                cancellationToken: cancellationToken))).AsList();
            var deliveredInBatch = 0;
            foreach (var entry in due)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                var outcome = await PostAsync(client, webhook, settings.Secret!, entry, cancellationToken);
                if (outcome.Cancelled)
                {
                    break;
                }
                if (outcome.Failure is null)
                {
                    await connection.ExecuteAsync(
                        new CommandDefinition(DeliveredSql, new { entry.Id }, transaction, cancellationToken: CancellationToken.None));
                    deliveredInBatch++;
                    continue;
                }
                failed++;
                var delay = RetryDelay(settings, entry.Attempts);
                await connection.ExecuteAsync(new CommandDefinition(
                    FailedSql, new { entry.Id, Delay = delay, Error = outcome.Failure }, transaction,
                    cancellationToken: CancellationToken.None));
                if (outcome.ReceiverUnwell)
                {
                    receiverUnwell = outcome.Failure;
                    break;
                }
                logger.LogWarning(
                    "Recording webhook refused event {EventId} (recording {RecordingId}, attempt {Attempt}): {Failure}; " +
                    "next attempt in {RetryDelay}",
                    entry.EventId, entry.RecordingId, entry.Attempts + 1, outcome.Failure, delay);
            }
            // What was sent is marked even when the run is being stopped: an unmarked event would be sent again.
            await transaction.CommitAsync(CancellationToken.None);
            delivered += deliveredInBatch;
            if (deliveredInBatch == 0)
            {
                break;
            }
        }
        if (receiverUnwell is not null)
        {
            var wait = RetryDelay(settings, receiverFailures++);
            receiverRetryAt = time.GetUtcNow() + wait;
            var pending = await connection.ExecuteScalarAsync<int>(
                new CommandDefinition(CountPendingSql, cancellationToken: CancellationToken.None));
            logger.LogWarning(
                "Recording webhook is not taking events: {Failure}; {Pending} wait, the next try in {RetryDelay}",
                receiverUnwell, pending, wait);
        }
        else if (delivered > 0)
        {
            receiverFailures = 0;
        }
        return (delivered, failed);
    }

    /// <summary>Exponential back-off from the first delay, capped, with jitter (half to all of it) so retries spread out.</summary>
    private static TimeSpan RetryDelay(RecordingWebhookOptions settings, int attemptsBefore)
    {
        var exponential = settings.FirstRetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attemptsBefore, 30));
        var capped = Math.Min(exponential, settings.MaxRetryDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    private async Task<PostOutcome> PostAsync(
        HttpClient client, Uri webhook, string secret, DueEvent due, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook)
        {
            Content = new StringContent(due.Body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(RecordingWebhookSignature.EventIdHeader, due.EventId);
        request.Headers.Add(RecordingWebhookSignature.SignatureHeader,
            RecordingWebhookSignature.Sign(secret, time.GetUtcNow().ToUnixTimeSeconds(), due.Body));
        try
        {
            using var response = await client.SendAsync(request, cancellationToken);
            var status = (int)response.StatusCode;
            return response.IsSuccessStatusCode
                ? PostOutcome.Delivered
                : new PostOutcome(
                    string.Create(CultureInfo.InvariantCulture, $"it answered {status} {response.ReasonPhrase}"),
                    ReceiverUnwell: status >= 500
                        || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return PostOutcome.Stopped;
        }
        catch (HttpRequestException exception)
        {
            // Only the kind of error: an exception's message may quote the URL.
            return new PostOutcome(
                $"{exception.HttpRequestError} ({exception.InnerException?.GetType().Name ?? exception.GetType().Name})",
                ReceiverUnwell: true);
        }
        catch (TaskCanceledException)
        {
            return new PostOutcome(
                string.Create(CultureInfo.InvariantCulture, $"no answer within {client.Timeout.TotalSeconds:0.#} seconds"),
                ReceiverUnwell: true);
        }
    }

    private sealed record DueEvent(long Id, long RecordingId, string EventId, string Body, int Attempts);

    /// <summary>Failure: null when the receiver took the event; why not otherwise, in words that quote no part of the URL.</summary>
    private sealed record PostOutcome(string? Failure, bool ReceiverUnwell, bool Cancelled = false)
    {
        public static readonly PostOutcome Delivered = new(null, false);
        public static readonly PostOutcome Stopped = new(null, false, Cancelled: true);
    }
}
