using System.Net;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Notifications;
using Recorder.Core.Tests.Fixtures;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Notifications;

/// <summary>
/// The recording-events webhook against a real receiver on loopback (Kestrel) and the real outbox: a receiver that is
/// down (connection refused, then 503) gets every committed event exactly once when it is back, signed, a recording's
/// events in order; nothing of a rollback; nothing secret in the logs; old events given up and pruned.
/// </summary>
public sealed class RecordingWebhookDeliveryTests : IAsyncLifetime
{
    // Where a receiver may keep a token of its own: in the path. It must never reach a log.
    private const string SecretPath = "/hooks/T0KEN-path-secret";

    private readonly MigratedDatabase database = new();
    private EventsTestData data = null!;

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        data = new EventsTestData(database);
    }

    public Task DisposeAsync() => database.DisposeAsync();

    [Fact]
    public async Task A_receiver_down_for_a_while_gets_every_committed_event_exactly_once_when_back_signed_and_in_order()
    {
        var port = ClosedPort.Next();
        await using var delivery = new DeliveryHarness(database, $"http://127.0.0.1:{port}{SecretPath}");
        var user = await data.NewUserAsync();
        var first = await data.NewRecordingAsync(user);
        var second = await data.NewRecordingAsync(user);
        await data.MaintenanceAsync(
            "UPDATE recordings SET status = 'processing' WHERE id = ANY(@ids)", new { ids = new[] { first, second } });

        // Down: nobody listens on the port.
        var refused = await delivery.RunAsync();
        Assert.Equal((0, 1), (refused.Delivered, refused.Failed));
        Assert.Contains(delivery.Logs.Entries, entry => entry.Level == LogLevel.Warning
            && entry.Message.Contains("ConnectionError", StringComparison.Ordinal));

        // Up but unwell, while changes go on, one of them rolled back.
        await using var receiver = await WebhookReceiver.StartAsync(port);
        receiver.Answer = HttpStatusCode.ServiceUnavailable;
        await data.MaintenanceAsync("UPDATE recordings SET status = 'completed' WHERE id = @first", new { first });
        await using (var maintenance = await database.OpenMaintenanceAsync())
        {
            await using var rolledBack = await maintenance.BeginTransactionAsync();
            await maintenance.ExecuteAsync("UPDATE recordings SET status = 'failed', failure_code = 'corrupt_media' WHERE id = @second",
                new { second }, rolledBack);
            await rolledBack.RollbackAsync();
        }
        for (var run = 0; run < 3; run++)
        {
            Assert.Equal(0, (await delivery.RunAsync()).Delivered);
            await Task.Delay(150);
        }
        Assert.All(receiver.Posts, post => Assert.Equal(SecretPath, post.Path));
        var whileUnwell = receiver.Posts.Count;
        Assert.InRange(whileUnwell, 1, 3); // one attempt per run: a receiver that is unwell is not hammered
        await data.MaintenanceAsync(
            "UPDATE recordings SET status = 'failed', failure_code = 'empty_file' WHERE id = @second", new { second });
        await data.AsUserAsync(user, "UPDATE recordings SET status = 'deleting' WHERE id = @first", new { first });

        // Back.
        receiver.Answer = HttpStatusCode.OK;
        await Eventually.TrueAsync(async () =>
        {
            await delivery.RunAsync();
            return (await data.OutboxAsync()).All(row => row.DeliveredAt is not null);
        }, "every event was delivered");

        var outbox = await data.OutboxAsync();
        Assert.Equal(7, outbox.Count);
        var taken = receiver.Posts.Skip(whileUnwell).ToList();
        Assert.Equal(
            outbox.Select(row => row.Payload).Order(StringComparer.Ordinal), taken.Select(post => post.Body).Order(StringComparer.Ordinal));
        var events = taken.Select(post => RecordingEvent.Parse(post.Body)).ToList();
        Assert.Equal(events.Count, events.Select(e => e.EventId).Distinct().Count());
        Assert.Equal(["uploading", "processing", "completed", "deleted"], events.Where(e => e.Id == first).Select(e => e.Status));
        Assert.Equal(["uploading", "processing", "failed"], events.Where(e => e.Id == second).Select(e => e.Status));
        Assert.Equal("empty_file", events.Single(e => e.Status == "failed").FailureCode);
        Assert.All(taken, post =>
        {
            Assert.True(ReceiverCheck.Verifies(post.Signature, post.Body, DeliveryHarness.Secret, post.ReceivedAt), post.Signature);
            Assert.Equal(RecordingEvent.Parse(post.Body).EventId.ToString(), post.EventId);
        });
        // Signed when sent, so a retry hours later still falls in the replay window; send times only go forward.
        var sentAt = receiver.Posts.Select(post => ReceiverCheck.Timestamp(post.Signature!)).ToList();
        Assert.Equal(sentAt.Order(), sentAt);
        Assert.True(delivery.LoggedNoSecret());

        // Delivered is delivered: later runs send nothing again.
        var again = await delivery.RunAsync();
        Assert.Equal((0, 0), (again.Delivered, again.Failed));
        Assert.Equal(whileUnwell + 7, receiver.Posts.Count);
    }

    [Fact]
    public async Task An_event_the_receiver_refuses_backs_off_and_holds_back_only_its_own_recordings_later_events()
    {
        var port = ClosedPort.Next();
        await using var receiver = await WebhookReceiver.StartAsync(port);
        receiver.Answer = HttpStatusCode.BadRequest;
        var user = await data.NewUserAsync();
        var refused = await data.NewRecordingAsync(user);
        await data.MaintenanceAsync("UPDATE recordings SET status = 'processing' WHERE id = @refused", new { refused });
        await using var delivery = new DeliveryHarness(database, $"http://127.0.0.1:{port}{SecretPath}",
            new() { ["Webhooks:FirstRetryDelay"] = "01:00:00", ["Webhooks:MaxRetryDelay"] = "01:00:00" });

        var run = await delivery.RunAsync();

        Assert.Equal((0, 1), (run.Delivered, run.Failed));
        receiver.Answer = HttpStatusCode.Accepted;
        var other = await data.NewRecordingAsync(user);
        var next = await delivery.RunAsync();
        Assert.Equal((1, 0), (next.Delivered, next.Failed));
        var rows = await data.OutboxAsync();
        Assert.Equal([(1, false), (0, false), (1, true)], rows.Select(row => (row.Attempts, row.DeliveredAt is not null)));
        Assert.Equal(other, RecordingEvent.Parse(receiver.Posts.Last().Body).Id);
        await using var maintenance = await database.OpenMaintenanceAsync();
        var (lastError, wait) = await maintenance.QuerySingleAsync<(string, TimeSpan)>(
            "SELECT last_error, next_attempt_at - now() FROM recording_events WHERE id = @id", new { id = rows[0].Id });
        Assert.Equal("it answered 400 Bad Request", lastError);
        Assert.InRange(wait, TimeSpan.FromMinutes(29), TimeSpan.FromHours(1)); // back-off with jitter: half to all of the delay
    }

    [Fact]
    public async Task A_receiver_that_is_unwell_is_left_alone_until_its_back_off_has_passed_though_other_events_are_due()
    {
        var port = ClosedPort.Next();
        await using var receiver = await WebhookReceiver.StartAsync(port);
        receiver.Answer = HttpStatusCode.ServiceUnavailable;
        var user = await data.NewUserAsync();
        await data.NewRecordingAsync(user);
        var second = await data.NewRecordingAsync(user);
        var url = $"http://127.0.0.1:{port}{SecretPath}";
        var backOff = new Dictionary<string, string?>
        {
            ["Webhooks:FirstRetryDelay"] = "01:00:00",
            ["Webhooks:MaxRetryDelay"] = "01:00:00",
        };
        await using var delivery = new DeliveryHarness(database, url, backOff);

        var first = await delivery.RunAsync();
        var next = await delivery.RunAsync();

        Assert.Equal((0, 1), (first.Delivered, first.Failed));
        Assert.Equal((0, 0), (next.Delivered, next.Failed));
        Assert.Single(receiver.Posts);
        var warning = Assert.Single(delivery.Logs.Entries, entry => entry.Level == LogLevel.Warning);
        Assert.Equal(("it answered 503 Service Unavailable", 2), (warning.Values["Failure"], warning.Values["Pending"]));
        Assert.True(delivery.LoggedNoSecret());

        // Another instance (a new replica) keeps no such state; the event that failed keeps its own back-off.
        receiver.Answer = HttpStatusCode.OK;
        await using var restarted = new DeliveryHarness(database, url, backOff);
        Assert.Equal(1, (await restarted.RunAsync()).Delivered);
        Assert.Equal(second, RecordingEvent.Parse(receiver.Posts.Last().Body).Id);
    }

    [Fact]
    public async Task Events_not_delivered_within_the_give_up_age_are_abandoned_loudly_and_settled_ones_pruned_after_retention()
    {
        var user = await data.NewUserAsync();
        var old = await data.NewRecordingAsync(user);
        await data.MaintenanceAsync("UPDATE recording_events SET created_at = now() - interval '4 days'", new { });
        var port = ClosedPort.Next();
        await using var receiver = await WebhookReceiver.StartAsync(port);
        await using var delivery = new DeliveryHarness(database, $"http://127.0.0.1:{port}{SecretPath}",
            new() { ["Webhooks:GiveUpAfter"] = "3.00:00:00", ["Webhooks:Retention"] = "7.00:00:00" });
        await data.MaintenanceAsync("UPDATE recordings SET status = 'processing' WHERE id = @old", new { old });

        var run = await delivery.RunAsync();

        Assert.Equal((1, 1, 0), (run.Abandoned, run.Delivered, run.Pruned));
        var abandoned = Assert.Single(delivery.Logs.Entries, entry => entry.Level == LogLevel.Error);
        Assert.Equal(1, abandoned.Values["Abandoned"]);
        Assert.Equal("processing", RecordingEvent.Parse(Assert.Single(receiver.Posts).Body).Status);

        await data.MaintenanceAsync("UPDATE recording_events SET created_at = now() - interval '8 days'", new { });
        var pruning = await delivery.RunAsync();
        Assert.Equal(2, pruning.Pruned);
        Assert.Empty(await data.OutboxAsync());
    }

    [Fact]
    public async Task Without_a_url_nothing_is_owed_so_setting_one_later_replays_no_history()
    {
        var user = await data.NewUserAsync();
        await data.NewRecordingAsync(user);
        await using (var off = new DeliveryHarness(database, url: null))
        {
            Assert.Equal(new RecordingWebhookRun(0, 0, 0, 0), await off.RunAsync());
        }
        Assert.Empty(await data.OutboxAsync());

        var port = ClosedPort.Next();
        await using var receiver = await WebhookReceiver.StartAsync(port);
        var later = await data.NewRecordingAsync(user);
        await using var on = new DeliveryHarness(database, $"http://127.0.0.1:{port}/");
        Assert.Equal(1, (await on.RunAsync()).Delivered);
        Assert.Equal(later, RecordingEvent.Parse(Assert.Single(receiver.Posts).Body).Id);
    }
}

/// <summary>The signature a receiver checks, and the settings the delivery refuses.</summary>
public sealed class RecordingWebhookSignatureTests
{
    private const string Secret = "0123456789abcdef0123456789abcdef";

    [Fact]
    public void The_signature_is_the_hex_hmac_sha256_of_the_timestamp_dot_body_as_node_computes_it()
        // node -e 'console.log(require("crypto").createHmac("sha256", SECRET).update("1765000000.{\"id\": 1}").digest("hex"))'
        => Assert.Equal(
            "t=1765000000,v1=767f0157a25d77eaacb289573d770f0877a73ee62c28b2bf39079105e8f26003",
            RecordingWebhookSignature.Sign(Secret, 1765000000, "{\"id\": 1}"));

    [Fact]
    public void A_receiver_refuses_a_wrong_secret_a_changed_body_and_a_stale_timestamp()
    {
        var now = DateTimeOffset.UtcNow;
        const string body = "{\"id\": 1, \"status\": \"completed\"}";
        var header = RecordingWebhookSignature.Sign(Secret, now.ToUnixTimeSeconds(), body);

        Assert.True(ReceiverCheck.Verifies(header, body, Secret, now));
        Assert.False(ReceiverCheck.Verifies(header, body, Secret.Replace('0', '1'), now));
        Assert.False(ReceiverCheck.Verifies(header, body.Replace("completed", "failed"), Secret, now));
        Assert.False(ReceiverCheck.Verifies(header, body, Secret, now + ReceiverCheck.ReplayWindow + TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData("https://receiver.example/hook", "", "Webhooks:Secret must hold at least 32 bytes")]
    [InlineData("https://receiver.example/hook", "short", "Webhooks:Secret must hold at least 32 bytes")]
    [InlineData("ftp://receiver.example/T0KEN", Secret, "Webhooks:Url must be an absolute http(s) URL.")]
    [InlineData("receiver/T0KEN", Secret, "Webhooks:Url must be an absolute http(s) URL.")]
    public void A_url_without_a_usable_secret_or_that_is_not_http_stops_start_up_without_echoing_either(
        string url, string secret, string failure)
    {
        var refused = Assert.Throws<OptionsValidationException>(() => Resolve(url, secret));

        Assert.Contains(refused.Failures, message => message.StartsWith(failure, StringComparison.Ordinal));
        Assert.DoesNotContain("T0KEN", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("short", refused.Message, StringComparison.Ordinal);
        Assert.Null(Resolve("", "").Webhook);
    }

    private static RecordingWebhookOptions Resolve(string url, string secret)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Webhooks:Url"] = url, ["Webhooks:Secret"] = secret }).Build();
        using var provider = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddRecordingNotifications()
            .BuildServiceProvider();
        return provider.GetRequiredService<IOptions<RecordingWebhookOptions>>().Value;
    }
}
