using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Recorder.Functions.Tests.Api;
using Recorder.Functions.Tests.DevHost;
using Recorder.Testing;
using Recorder.Testing.EventGrid;
using Xunit;

namespace Recorder.Functions.Tests.Ingest;

/// <summary>POST /api/events/blob-created as Event Grid calls it: both schemas, handshakes, filters, duplicates, order, outages.</summary>
public sealed class WebhookTests(WebhookTestHost ingest) : IClassFixture<WebhookTestHost>
{
    private const string Route = "api/events/blob-created";

    [Fact]
    public async Task Answers_the_event_grid_subscription_validation()
    {
        using var client = ingest.WebhookClient();
        var body = "[{\"id\":\"1\",\"topic\":\"" + IngestTestHost.Topic + "\",\"subject\":\"\",\"eventType\":\"Microsoft.EventGrid.SubscriptionValidationEvent\",\"eventTime\":\"2026-11-25T10:00:00Z\",\"dataVersion\":\"1\",\"metadataVersion\":\"1\",\"data\":{\"validationCode\":\"512d38b6-c7b8-40c8-89fe-f46f9e9622b6\",\"validationUrl\":\"https://example.test/validate\"}}]";

        var answer = await (await client.PostAsync(Route, new StringContent(body, Encoding.UTF8, "application/json"))).AssertOkAsync();

        Assert.Equal("512d38b6-c7b8-40c8-89fe-f46f9e9622b6", answer.GetProperty("validationResponse").GetString());
    }

    [Fact]
    public async Task Answers_the_cloudevents_webhook_validation()
    {
        using var client = ingest.WebhookClient();
        using var request = new HttpRequestMessage(HttpMethod.Options, Route) { Headers = { { "WebHook-Request-Origin", "eventgrid.azure.net" } } };

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("eventgrid.azure.net", response.Headers.GetValues("WebHook-Allowed-Origin").Single());
        Assert.Equal("*", response.Headers.GetValues("WebHook-Allowed-Rate").Single());
    }

    [Fact]
    public async Task Refuses_a_missing_or_wrong_key()
    {
        using var anonymous = new HttpClient { BaseAddress = ingest.BaseAddress };
        await (await anonymous.PostAsync(Route, Json("[]"))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await anonymous.PostAsync(Route + "?code=wrong", Json("[]"))).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"hello\": 1}")]
    [InlineData("[{\"id\": 5}]")]
    public async Task A_body_that_can_never_succeed_is_400(string body)
    {
        using var client = ingest.WebhookClient();

        await (await client.PostAsync(Route, Json(body))).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("topic")]
    [InlineData("container")]
    [InlineData("type")]
    public async Task Events_not_for_us_are_acknowledged_and_change_nothing(string mismatch)
    {
        var (user, id, blob) = await UploadedRecordingAsync();
        var delivered = Event(blob, sequencer: BlobCreatedEvents.Sequencer(1));
        switch (mismatch)
        {
            case "topic": delivered["topic"] = IngestTestHost.Topic.Replace("devstoreaccount1", "otheraccount"); break;
            case "container": delivered["subject"] = $"/blobServices/default/containers/elsewhere/blobs/{blob.Name}"; break;
            case "type": delivered["eventType"] = "Microsoft.Storage.BlobDeleted"; break;
        }
        using var client = ingest.WebhookClient();

        var handled = await (await client.PostAsync(Route, Json(JsonSerializer.Serialize(new[] { delivered })))).AssertOkAsync();

        Assert.Equal(0, handled.GetProperty("accepted").GetInt32());
        Assert.Equal("uploading", await StatusAsync(id));
        _ = user;
    }

    [Fact]
    public async Task Three_simultaneous_duplicates_ingest_once()
    {
        var (user, id, blob) = await UploadedRecordingAsync();
        var body = JsonSerializer.Serialize(new[] { Event(blob, BlobCreatedEvents.Sequencer(1)) });
        using var client = ingest.WebhookClient();

        var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => client.PostAsync(Route, Json(body))));

        Assert.All(answers, answer => Assert.Equal(HttpStatusCode.OK, answer.StatusCode));
        Assert.Equal("completed", (await ingest.WaitForOutcomeAsync(user, id)).GetProperty("status").GetString());
        await using var connection = await ingest.OpenMaintenanceAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT ingest_attempts FROM recordings WHERE id = @id", new { id }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM audit_log WHERE recording_id = @id AND action = 'recording.ingest'", new { id }));
    }

    [Fact]
    public async Task An_older_sequencer_arriving_while_a_newer_one_is_processed_is_ignored()
    {
        await using var gated = await GatedIngestTestHost.StartAsync(eventBridge: false);
        var (user, id, blob) = await UploadedRecordingAsync(gated);
        using var client = gated.WebhookClient();
        var newer = Json(JsonSerializer.Serialize(new[] { Event(blob, BlobCreatedEvents.Sequencer(9)) }));
        var older = Json(JsonSerializer.Serialize(new[] { Event(blob, BlobCreatedEvents.Sequencer(3)) }));

        await (await client.PostAsync(Route, newer)).AssertOkAsync();
        await gated.Gate.WaitForCallAsync();
        await (await client.PostAsync(Route, older)).AssertOkAsync();
        gated.Gate.Open();

        Assert.Equal("completed", (await gated.WaitForOutcomeAsync(user, id)).GetProperty("status").GetString());
        await using var connection = await gated.OpenMaintenanceAsync();
        Assert.Equal(BlobCreatedEvents.Sequencer(9), await connection.ExecuteScalarAsync<string>("SELECT blob_sequencer FROM recordings WHERE id = @id", new { id }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT ingest_attempts FROM recordings WHERE id = @id", new { id }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM audit_log WHERE recording_id = @id AND action = 'recording.ingest'", new { id }));
    }

    [Fact]
    public async Task The_same_content_announced_again_is_a_duplicate_not_a_rewrite()
    {
        var (user, id, blob) = await UploadedRecordingAsync();
        var first = Json(JsonSerializer.Serialize(new[] { Event(blob, BlobCreatedEvents.Sequencer(1)) }));
        // A restarted bridge (or Event Grid's at-least-once delivery) announces the same eTag with a later sequencer.
        var again = Json(JsonSerializer.Serialize(new[] { Event(blob, BlobCreatedEvents.Sequencer(2)) }));
        using var client = ingest.WebhookClient();

        await (await client.PostAsync(Route, first)).AssertOkAsync();
        Assert.Equal("completed", (await ingest.WaitForOutcomeAsync(user, id)).GetProperty("status").GetString());
        await (await client.PostAsync(Route, again)).AssertOkAsync();

        Assert.Equal(0, await ingest.CountAsync("SELECT count(*) FROM audit_log WHERE recording_id = @id AND action = 'recording.blob_rewritten'", new { id }));
        Assert.Equal(1, await ingest.CountAsync("SELECT count(*) FROM audit_log WHERE recording_id = @id AND action = 'recording.ingest'", new { id }));
    }

    [Theory]
    [InlineData("CopyBlob")]
    [InlineData("PutBlobFromUrl")]
    [InlineData("FlushWithClose")]
    public async Task A_blob_written_by_anything_but_a_browser_upload_fails_its_recording(string api)
    {
        var (user, id, blob) = await UploadedRecordingAsync();
        var delivered = Event(blob, BlobCreatedEvents.Sequencer(1));
        ((Dictionary<string, object?>)delivered["data"]!)["api"] = api;
        using var client = ingest.WebhookClient();

        await (await client.PostAsync(Route, Json(JsonSerializer.Serialize(new[] { delivered })))).AssertOkAsync();

        var outcome = await ingest.WaitForOutcomeAsync(user, id);
        Assert.Equal(("failed", "unsupported_upload"), (outcome.GetProperty("status").GetString(), outcome.GetProperty("failureCode").GetString()));
        Assert.False(await blob.ExistsAsync());
        Assert.Equal(1, await ingest.CountAsync(
            "SELECT count(*) FROM audit_log WHERE recording_id = @id AND action = 'recording.ingest' AND outcome = 'failed' AND details ->> 'api' = @api", new { id, api }));
    }

    [Fact]
    public async Task A_blob_storage_made_by_a_copy_fails_even_when_its_event_says_PutBlob()
    {
        var user = await ingest.Api.SignInNewUserAsync();
        var bytes = await File.ReadAllBytesAsync(TestEnvironment.MediaFixture("chrome-audio.webm"));
        var source = ingest.Container(ingest.Api.Storage.ProcessedContainer).GetBlobClient($"copy-source-{Guid.NewGuid():N}.webm");
        await source.UploadAsync(new BinaryData(bytes));
        using var response = await user.Client.PostAsync("api/recordings/uploads", Api.Api.Json(new { title = "Copied", recordingType = "audio", mimeType = "audio/webm", fileSize = bytes.Length }));
        var ticket = await response.AssertOkAsync(HttpStatusCode.Created);
        var id = ticket.GetProperty("recordingId").GetInt64();
        // A write-only URL cannot read the copy's progress; a copy within the account is done when storage answers.
        await new Azure.Storage.Blobs.BlobClient(new Uri(ticket.GetProperty("uploadUrl").GetString()!)).StartCopyFromUriAsync(source.Uri);
        var blob = ingest.Container(ingest.Api.Storage.UploadsContainer).GetBlobClient(ticket.GetProperty("blobName").GetString());
        using var client = ingest.WebhookClient();

        await (await client.PostAsync(Route, Json(JsonSerializer.Serialize(new[] { Event(blob, BlobCreatedEvents.Sequencer(1)) })))).AssertOkAsync();

        var outcome = await ingest.WaitForOutcomeAsync(user, id);
        Assert.Equal(("failed", "unsupported_upload"), (outcome.GetProperty("status").GetString(), outcome.GetProperty("failureCode").GetString()));
        Assert.False(await blob.ExistsAsync());
        Assert.Equal(1, await ingest.CountAsync(
            "SELECT count(*) FROM audit_log WHERE recording_id = @id AND action = 'recording.ingest' AND outcome = 'failed' AND details ->> 'code' = 'unsupported_upload'", new { id }));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Takes_cloudevents_single_and_batched(bool batch)
    {
        var (user, id, blob) = await UploadedRecordingAsync();
        var delivered = Event(blob, BlobCreatedEvents.Sequencer(1));
        var cloudEvent = new Dictionary<string, object?>
        {
            ["specversion"] = "1.0",
            ["type"] = delivered["eventType"],
            ["source"] = delivered["topic"],
            ["id"] = delivered["id"],
            ["time"] = delivered["eventTime"],
            ["subject"] = delivered["subject"],
            ["datacontenttype"] = "application/json",
            ["data"] = delivered["data"],
        };
        using var client = ingest.WebhookClient();
        var body = batch ? JsonSerializer.Serialize(new[] { cloudEvent }) : JsonSerializer.Serialize(cloudEvent);

        await (await client.PostAsync(Route, new StringContent(body, Encoding.UTF8, batch ? "application/cloudevents-batch+json" : "application/cloudevents+json"))).AssertOkAsync();

        Assert.Equal("completed", (await ingest.WaitForOutcomeAsync(user, id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task With_postgres_down_it_answers_503_and_a_redelivery_later_completes()
    {
        var (user, id, blob) = await UploadedRecordingAsync();
        var body = JsonSerializer.Serialize(new[] { Event(blob, BlobCreatedEvents.Sequencer(1)) });
        var closed = new Npgsql.NpgsqlConnectionStringBuilder(ingest.Api.Database.MaintenanceConnectionString) { Port = ClosedPort.Next(), Timeout = 3 }.ConnectionString;
        var outageSettings = ingest.Settings(maintenanceConnectionString: closed);
        outageSettings["IngestQueueName"] = "outage-" + Guid.NewGuid().ToString("N")[..12]; // its workers stay off the real queue
        await using (var outage = await RunningDevHost.StartAsync(functionTypes: null, outageSettings))
        {
            using var down = new HttpClient { BaseAddress = outage.Client.BaseAddress };
            down.DefaultRequestHeaders.Add("x-functions-key", RunningDevHost.FunctionKey);
            await (await down.PostAsync(Route, Json(body))).AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        }
        Assert.Equal("uploading", await StatusAsync(id));

        using var client = ingest.WebhookClient();
        await (await client.PostAsync(Route, Json(body))).AssertOkAsync();

        Assert.Equal("completed", (await ingest.WaitForOutcomeAsync(user, id)).GetProperty("status").GetString());
    }

    private Task<(TestUser User, long Id, Azure.Storage.Blobs.BlobClient Blob)> UploadedRecordingAsync() => UploadedRecordingAsync(ingest);

    private static async Task<(TestUser User, long Id, Azure.Storage.Blobs.BlobClient Blob)> UploadedRecordingAsync(IngestTestHost host)
    {
        var user = await host.Api.SignInNewUserAsync();
        var id = await host.UploadAsync(user, await File.ReadAllBytesAsync(TestEnvironment.MediaFixture("chrome-audio.webm")), "audio", "audio/webm");
        await using var connection = await host.OpenMaintenanceAsync();
        var blobName = await connection.ExecuteScalarAsync<string>("SELECT blob_name FROM recordings WHERE id = @id", new { id });
        return (user, id, host.Container(host.Api.Storage.UploadsContainer).GetBlobClient(blobName));
    }

    private static Dictionary<string, object?> Event(Azure.Storage.Blobs.BlobClient blob, string sequencer)
        => BlobCreatedEvents.Create(IngestTestHost.Topic, blob, blob.GetProperties().Value, sequencer);

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<string?> StatusAsync(long id)
    {
        await using var connection = await ingest.OpenMaintenanceAsync();
        return await connection.ExecuteScalarAsync<string>("SELECT status FROM recordings WHERE id = @id", new { id });
    }
}
