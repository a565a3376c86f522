using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Web;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Recorder.E2E.Tests;

/// <summary>
/// Block uploads of a whole file after Stop (the page's path when live upload is off or unavailable) that meet trouble on
/// the way to storage: a dropped request, the network gone, an upload URL that expires while blocks are still going up.
/// The test host makes anything over 128 KiB go up in 64 KiB blocks and upload URLs live 12 s.
/// </summary>
[Collection(E2ECollection.Name)]
public sealed partial class UploadResilienceTests(E2EHost host)
{
    [GeneratedRegex("comp=block&blockid=")]
    private static partial Regex BlockPut();

    [Fact]
    public async Task A_block_upload_cut_off_by_the_network_resumes_where_it_stopped_and_completes()
    {
        await using var page = await RecorderPage.OpenAsync(host);
        var sent = new ConcurrentDictionary<int, int>(); // block index → attempts that reached storage
        var dropped = 0;
        var wentOffline = 0;
        await page.Context.RouteAsync(BlockPut(), async route =>
        {
            var block = BlockIndex(route.Request.Url);
            if (block == 1 && Interlocked.Exchange(ref dropped, 1) == 0)
            {
                // One lost request while online: retried after a backoff.
                await route.AbortAsync("connectionreset");
                return;
            }
            if (block == 2 && Interlocked.Exchange(ref wentOffline, 1) == 0)
            {
                await page.Context.SetOfflineAsync(true);
                await route.AbortAsync("internetdisconnected");
                return;
            }
            sent.AddOrUpdate(block, 1, (_, attempts) => attempts + 1);
            await route.ContinueAsync();
        });

        await page.RecordAsync("camera", 5, "Through a bad network", live: false);
        await page.WaitUntilStoppedAsync(5);
        await Expect(page.Page.Locator("#upload-text")).ToContainTextAsync("Offline", new() { Timeout = 30000 });
        await page.ScreenshotAsync("offline-mid-upload");

        // What the page keeps to resume with: the recording in IndexedDB and the blocks already staged.
        var kept = await page.EvaluateAsync<JsonElement>(
            "async () => (await new (await import('/recorder-client.js')).LocalRecordings().list()).map(e => ({ size: e.blob.size, staged: e.upload?.staged ?? [] }))");
        Assert.Equal(1, kept.GetArrayLength());
        Assert.Equal([0, 1], kept[0].GetProperty("staged").EnumerateArray().Select(index => index.GetInt32()).Order());
        var blocks = (int)Math.Ceiling(kept[0].GetProperty("size").GetInt64() / (double)E2EHost.BlockSizeBytes);
        Assert.True(blocks > 3, $"only {blocks} blocks: the test needs the upload to go on after block 2");

        await page.Context.SetOfflineAsync(false);
        var id = await page.WaitForOutcomeAsync();
        await page.ScreenshotAsync("resumed-and-completed");

        // Every block reached storage exactly once: the staged ones were not sent again.
        Assert.Equal(Enumerable.Range(0, blocks), sent.Keys.Order());
        Assert.All(sent, pair => Assert.True(pair.Value == 1, $"block {pair.Key} reached storage {pair.Value} times"));
        // Storage holds what the page recorded, byte for byte in length, and ingest measured that media.
        var (duration, fileSize) = await host.QuerySingleAsync<(decimal, long)>("SELECT duration, file_size FROM recordings WHERE id = @id AND status = 'completed'", new { id });
        Assert.Equal(kept[0].GetProperty("size").GetInt64(), fileSize);
        var media = await host.MediaDurationAsync(id);
        Assert.InRange((double)duration, media - 0.1, media + 0.1);
        Assert.Equal(0, await page.EvaluateAsync<int>("async () => (await new (await import('/recorder-client.js')).LocalRecordings().list()).length"));
        await Expect(page.LocalEntries).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task An_upload_url_that_expires_mid_upload_is_renewed_and_the_upload_goes_on()
    {
        await using var page = await RecorderPage.OpenAsync(host);
        var refusals = new ConcurrentBag<string>();
        var signatures = new ConcurrentDictionary<int, string>();
        var held = 0;
        await page.Context.RouteAsync(BlockPut(), async route =>
        {
            var url = route.Request.Url;
            var block = BlockIndex(url);
            var query = HttpUtility.ParseQueryString(new Uri(url).Query);
            signatures.AddOrUpdate(block, query["sig"]!, (_, before) => before + " " + query["sig"]);
            if (block == 2 && Interlocked.Exchange(ref held, 1) == 0)
            {
                // Held until the URL has expired, then sent: storage itself refuses it.
                var expiry = DateTimeOffset.Parse(query["se"]!, System.Globalization.CultureInfo.InvariantCulture);
                while (DateTimeOffset.UtcNow < expiry.AddSeconds(1))
                {
                    await Task.Delay(250);
                }
                var response = await route.FetchAsync();
                refusals.Add($"{response.Status} {response.Headers.GetValueOrDefault("x-ms-error-code")}");
                await route.FulfillAsync(new() { Response = response });
                return;
            }
            await route.ContinueAsync();
        });
        var renewals = new ConcurrentBag<int>();
        page.Page.Response += (_, response) =>
        {
            if (response.Url.EndsWith("/upload-url", StringComparison.Ordinal))
            {
                renewals.Add(response.Status);
            }
        };

        await page.RecordAsync("camera", 5, "Slow upload", live: false);
        await page.WaitUntilStoppedAsync(5);
        await Expect(page.Page.Locator("#upload")).ToBeVisibleAsync();
        await page.ScreenshotAsync("uploading-with-a-held-block");
        var id = await page.WaitForOutcomeAsync();
        await page.ScreenshotAsync("completed-after-renewal");

        // Azure says AuthenticationFailed for an expired SAS, Azurite AuthorizationFailure.
        Assert.Contains(Assert.Single(refusals), new[] { "403 AuthenticationFailed", "403 AuthorizationFailure" });
        Assert.Equal([200], renewals);
        // Block 2 went again with the new URL's signature, and so did the blocks after it.
        var block2 = signatures[2].Split(' ');
        Assert.Equal(2, block2.Length);
        Assert.NotEqual(block2[0], block2[1]);
        Assert.Equal(signatures[0], block2[0]);
        Assert.All(signatures.Where(pair => pair.Key > 2), pair => Assert.Equal(block2[1], pair.Value));
        Assert.Equal("completed", await host.QuerySingleAsync<string>("SELECT status FROM recordings WHERE id = @id", new { id }));
    }

    private static int BlockIndex(string url)
    {
        var blockId = HttpUtility.ParseQueryString(new Uri(url).Query)["blockid"]!;
        // The page's block ids are base64("block-NNNNNN").
        return int.Parse(Encoding.ASCII.GetString(Convert.FromBase64String(blockId))["block-".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
