using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Recorder.E2E.Tests;

/// <summary>
/// The page while the API answers 503 (PostgreSQL or storage down, docs/api.md) or 429 (too soon): the client module tries
/// again after Retry-After with back-off, and tells the user once its tries are spent. The outage is Playwright's: the page's own
/// calls answered as the API answers them in one, then let through.
/// </summary>
[Collection(E2ECollection.Name)]
public sealed partial class ApiOutageTests(E2EHost host)
{
    private const string OutageDetail = "The database cannot be reached right now, so the request was not completed. Try again after the Retry-After seconds.";

    [GeneratedRegex(@"/api/recordings\?")]
    private static partial Regex RecordingList();

    [Fact]
    public async Task Calls_answered_503_twice_succeed_on_the_third_try_at_least_Retry_After_apart()
    {
        await using var page = await RecorderPage.OpenAsync(host);
        var id = await CreateRecordingAsync(page, "Take 1");
        var lists = new ConcurrentQueue<DateTimeOffset>();
        var renames = new ConcurrentQueue<DateTimeOffset>();
        await page.Page.RouteAsync(RecordingList(), route => OutageForTwoTriesAsync(route, lists, retryAfterSeconds: 2));
        await page.Page.RouteAsync($"**/api/recordings/{id}", route =>
            route.Request.Method == "PATCH" ? OutageForTwoTriesAsync(route, renames, retryAfterSeconds: 1) : route.ContinueAsync());

        await page.Page.ReloadAsync();
        await Expect(page.Item(id)).ToBeVisibleAsync(new() { Timeout = 30000 });
        await page.ScreenshotAsync("listed-after-two-503s");
        await RenameAsync(page, id, "Renamed through an outage");
        await Expect(page.Status).ToHaveTextAsync("Renamed to “Renamed through an outage”.", new() { Timeout = 30000 });
        await page.ScreenshotAsync("renamed-after-two-503s");

        AssertTriesApart(lists, 3, TimeSpan.FromSeconds(2));
        AssertTriesApart(renames, 3, TimeSpan.FromSeconds(1));
        Assert.Equal("Renamed through an outage", await host.QuerySingleAsync<string>("SELECT title FROM recordings WHERE id = @id", new { id }));
        AssertOnlyFailedLoads(page);
    }

    [Fact]
    public async Task A_call_that_keeps_answering_503_shows_the_error_after_its_last_try()
    {
        await using var page = await RecorderPage.OpenAsync(host);

        var (id, renames) = await RenameDuringOutageAsync(page, retryAfterSeconds: 0);

        await Expect(page.Status).ToHaveTextAsync(
            $"Rename failed: {OutageDetail} (tried 5 times)",
            new() { Timeout = 30000 });
        await page.ScreenshotAsync("rename-failed-after-five-503s");
        Assert.Equal(5, renames());
        await Expect(page.Item(id).Locator(".item-title")).ToHaveTextAsync("Take 1");
        Assert.Equal("Take 1", await host.QuerySingleAsync<string>("SELECT title FROM recordings WHERE id = @id", new { id }));
        AssertOnlyFailedLoads(page);
    }

    [Fact]
    public async Task A_Retry_After_beyond_the_time_the_client_gives_a_call_is_not_waited_for()
    {
        await using var page = await RecorderPage.OpenAsync(host);

        var (_, renames) = await RenameDuringOutageAsync(page, retryAfterSeconds: 3600);

        // Within the default 5 s of the assertion: the client's 30 s budget cannot hold an hour's wait, so it says so at once.
        await Expect(page.Status).ToHaveTextAsync(
            $"Rename failed: {OutageDetail}");
        Assert.Equal(1, renames());
        AssertOnlyFailedLoads(page);
    }

    [Fact]
    public async Task A_network_error_is_tried_again_only_where_a_second_try_does_no_more_than_the_first()
    {
        await using var page = await RecorderPage.OpenAsync(host);
        var storageCalls = 0;
        var sessionPosts = 0;
        await page.Page.RouteAsync("**/api/me/storage", route =>
            Interlocked.Increment(ref storageCalls) == 1 ? route.AbortAsync("connectionreset") : route.ContinueAsync());
        await page.Page.RouteAsync("**/api/recording-sessions", route =>
        {
            Interlocked.Increment(ref sessionPosts);
            return route.AbortAsync("connectionreset");
        });

        var outcome = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const { RecorderClient } = await import('/recorder-client.js');
              const client = new RecorderClient();
              const storage = await client.getStorage();
              const session = await client.startSession({ recordingType: 'camera' }).then(() => 'created', (error) => error.name);
              return { usedBytes: storage.usedBytes, session };
            }
            """);

        // A GET lost on the way is asked again; a POST that may have created a session is not sent twice.
        Assert.Equal((2, 1), (storageCalls, sessionPosts));
        Assert.Equal(0, outcome.GetProperty("usedBytes").GetInt64());
        Assert.Equal("TypeError", outcome.GetProperty("session").GetString());
    }

    [Fact]
    public async Task A_block_list_read_again_too_soon_is_answered_429_and_sent_again_after_its_Retry_After()
    {
        await using var page = await RecorderPage.OpenAsync(host);
        var answers = new ConcurrentQueue<(int Status, string? RetryAfter, DateTimeOffset At)>();
        page.Page.Response += (_, response) =>
        {
            if (response.Url.EndsWith("/upload", StringComparison.Ordinal))
            {
                answers.Enqueue((response.Status, response.Headers.GetValueOrDefault("retry-after"), DateTimeOffset.UtcNow));
            }
        };

        // The real API, no route: a live upload's blocks read twice at once by the same kind of call.
        var outcome = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const { RecorderClient } = await import('/recorder-client.js');
              const client = new RecorderClient();
              const ticket = await client.createUpload({ title: 'Read twice', recordingType: 'camera', mimeType: 'video/webm', live: true });
              const first = await client.getUpload(ticket.recordingId);
              const second = await client.getUpload(ticket.recordingId);
              return { first: first.status, second: second.status };
            }
            """);

        Assert.Equal(("uploading", "uploading"), (outcome.GetProperty("first").GetString(), outcome.GetProperty("second").GetString()));
        var seen = answers.ToArray();
        Assert.Equal([200, 429, 200], seen.Select(answer => answer.Status));
        var retryAfter = TimeSpan.FromSeconds(int.Parse(seen[1].RetryAfter!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(retryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        Assert.True(seen[2].At - seen[1].At >= retryAfter - TimeSpan.FromMilliseconds(100),
            $"sent again {(seen[2].At - seen[1].At).TotalMilliseconds:0} ms after the 429, Retry-After {retryAfter.TotalSeconds} s");
        AssertOnlyFailedLoads(page);
    }

    /// <summary>What the API answers while PostgreSQL is down (functions/Recorder.Core/Api/DependencyOutage.cs).</summary>
    private static RouteFulfillOptions Outage(int retryAfterSeconds) => new()
    {
        Status = 503,
        ContentType = "application/problem+json",
        Headers = new Dictionary<string, string> { ["Retry-After"] = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        Body = JsonSerializer.Serialize(new { type = "https://httpstatuses.io/503", title = "Service Unavailable", status = 503, detail = OutageDetail }),
    };

    private static async Task OutageForTwoTriesAsync(IRoute route, ConcurrentQueue<DateTimeOffset> tries, int retryAfterSeconds)
    {
        tries.Enqueue(DateTimeOffset.UtcNow);
        if (tries.Count <= 2)
        {
            await route.FulfillAsync(Outage(retryAfterSeconds));
            return;
        }
        await route.ContinueAsync();
    }

    /// <summary>
    /// Renames a new recording on the page while every try of the rename is answered as in an outage; returns the
    /// recording's id and how many tries the client has made so far.
    /// </summary>
    private static async Task<(long Id, Func<int> Tries)> RenameDuringOutageAsync(RecorderPage page, int retryAfterSeconds)
    {
        var id = await CreateRecordingAsync(page, "Take 1");
        await page.Page.ReloadAsync();
        await Expect(page.Item(id)).ToBeVisibleAsync();
        var tries = 0;
        await page.Page.RouteAsync($"**/api/recordings/{id}", route =>
        {
            if (route.Request.Method != "PATCH")
            {
                return route.ContinueAsync();
            }
            Interlocked.Increment(ref tries);
            return route.FulfillAsync(Outage(retryAfterSeconds));
        });
        await RenameAsync(page, id, "Never saved");
        return (id, () => Volatile.Read(ref tries));
    }

    private static async Task RenameAsync(RecorderPage page, long id, string title)
    {
        await page.Item(id).GetByRole(AriaRole.Button, new() { Name = "Rename" }).ClickAsync();
        await page.Page.Locator("#rename-dialog").GetByLabel("Title").FillAsync(title);
        await page.Page.Locator("#rename-dialog").GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
    }

    /// <summary>A recording awaiting its upload, made through the page's own client with the page's cookie.</summary>
    private static async Task<long> CreateRecordingAsync(RecorderPage page, string title)
        => await page.EvaluateAsync<long>($$"""
            async () => {
              const { RecorderClient } = await import('/recorder-client.js');
              const ticket = await new RecorderClient().createUpload({ title: '{{title}}', recordingType: 'camera', mimeType: 'video/webm', fileSize: 1000 });
              return ticket.recordingId;
            }
            """);

    private static void AssertTriesApart(ConcurrentQueue<DateTimeOffset> tries, int count, TimeSpan retryAfter)
    {
        var times = tries.ToArray();
        Assert.Equal(count, times.Length);
        // The browser waits Retry-After from the answer; the route saw each try a moment after it was sent.
        Assert.All(times.Zip(times.Skip(1)), pair => Assert.True(pair.Second - pair.First >= retryAfter - TimeSpan.FromMilliseconds(100),
            $"tries {(pair.Second - pair.First).TotalMilliseconds:0} ms apart, Retry-After {retryAfter.TotalMilliseconds:0} ms"));
    }

    /// <summary>The browser logs each 503 and cut connection as a failed load; anything else the page reported is a finding.</summary>
    private static void AssertOnlyFailedLoads(RecorderPage page)
        => Assert.All(page.Errors, error => Assert.StartsWith("Failed to load resource", error, StringComparison.Ordinal));
}
