using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Web;
using Azure.Storage.Blobs.Models;
using Dapper;
using Microsoft.Playwright;
using Recorder.Testing;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Recorder.E2E.Tests;

/// <summary>
/// Live uploads from the page (issue 18): staged while recording, committed by the server when the tab dies, resumed
/// after a reload, through a network cut, URL renewals and the quota, two tabs at once. An init script keeps a copy of
/// every slice MediaRecorder hands the page (IndexedDB <c>e2e-slices</c>, per tab), so the blob storage committed is
/// compared byte for byte with what MediaRecorder produced. The host's silence timeout is
/// <see cref="E2EHost.LiveSilenceTimeout"/> and its recovery runs every second.
/// </summary>
[Collection(E2ECollection.Name)]
public sealed partial class LiveUploadTests(E2EHost host)
{
    // Every MediaRecorder of the page copies its slices into IndexedDB e2e-slices, with the tab's id (sessionStorage
    // survives a reload of the tab, not another tab), before the page's own listener sees them.
    private const string SliceCopies = """
        (() => {
          const tab = sessionStorage.getItem('e2e-tab') ?? crypto.randomUUID();
          sessionStorage.setItem('e2e-tab', tab);
          let db;
          const open = () => db ??= new Promise((resolve, reject) => {
            const request = indexedDB.open('e2e-slices', 1);
            request.onupgradeneeded = () => request.result.createObjectStore('slices', { autoIncrement: true });
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
          });
          const Recorder = globalThis.MediaRecorder;
          globalThis.MediaRecorder = class extends Recorder {
            constructor(...args) {
              super(...args);
              this.addEventListener('dataavailable', (event) => {
                if (event.data.size === 0) return;
                const slice = { tab, data: event.data };
                open().then((connection) => connection.transaction('slices', 'readwrite').objectStore('slices').add(slice));
              });
            }
          };
        })();
        """;

    private const string ReadSliceCopies = """
        async () => {
          const db = await new Promise((resolve, reject) => {
            const request = indexedDB.open('e2e-slices', 1);
            request.onupgradeneeded = () => request.result.createObjectStore('slices', { autoIncrement: true });
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
          });
          const all = await new Promise((resolve, reject) => {
            const request = db.transaction('slices').objectStore('slices').getAll();
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
          });
          const tab = sessionStorage.getItem('e2e-tab');
          const base64 = (blob) => new Promise((resolve) => {
            const reader = new FileReader();
            reader.onload = () => resolve(reader.result.slice(reader.result.indexOf(';base64,') + 8));
            reader.readAsDataURL(blob);
          });
          return Promise.all(all.filter((slice) => slice.tab === tab).map((slice) => base64(slice.data)));
        }
        """;

    private const string LiveRecords = "async () => (await new (await import('/recorder-client.js')).LiveStore().uploads())"
        + ".map((u) => ({ stopped: u.stopped, stagedBytes: u.stagedBytes }))";

    [GeneratedRegex("comp=block&blockid=")]
    private static partial Regex BlockPut();

    [Fact]
    public async Task Live_a_tab_that_dies_mid_recording_is_committed_by_the_server_with_all_but_its_last_block()
    {
        await using var page = await OpenAsync();
        await page.RecordAsync("camera", 30, "The tab that died");
        await RecorderPage.WaitForTimerAsync(page.Page, 15, 40_000);
        await page.ScreenshotAsync("recording-live");
        var id = await LiveRecordingIdAsync(page.UserId, "The tab that died");
        // No Stop, no pagehide: the browser is gone with the page's IndexedDB.
        await page.Context.CloseAsync();

        var (status, recovered) = await OutcomeAsync(id, E2EHost.LiveSilenceTimeout + RecorderPage.ProcessingTimeout);

        Assert.Equal(("completed", true), (status, recovered));
        // 15 s recorded on the page's clock when it died; the server committed the blocks staged by then, each of 2 s.
        var media = await host.MediaDurationAsync(id);
        Assert.True(media >= 13, $"the recovered media lasts {media:0.00} s");
    }

    [Fact]
    public async Task Live_a_reload_while_recording_resumes_stages_the_rest_and_the_server_commits_what_was_recorded()
    {
        await using var page = await OpenAsync();
        await page.RecordAsync("camera", 0, "Reloaded while recording");
        await RecorderPage.WaitForTimerAsync(page.Page, 7);

        await page.Page.ReloadAsync();
        await Expect(page.Status).ToContainTextAsync("from an earlier visit");
        var id = await page.WaitForOutcomeAsync(timeout: E2EHost.LiveSilenceTimeout + RecorderPage.ProcessingTimeout);
        await page.ScreenshotAsync("resumed-after-reload");

        // The reload may have caught the last slice on its way into IndexedDB: at most that one is missing. The page staged
        // everything and left the commit to the server's recovery, the one commit ingest takes a cut-off end from.
        AssertSlicesCommitted(await CommittedAsync(page.UserId, id), await SliceCopiesAsync(page.Page), mayLack: 1);
        Assert.True(await RecoveredAsync(id), "not committed by the server's recovery");
        await Expect(page.Page.Locator("#upload-text")).ToContainTextAsync("is all stored");
        Assert.Equal(0, (await page.EvaluateAsync<JsonElement>(LiveRecords)).GetArrayLength());
        page.AssertNoErrors();
    }

    [Fact]
    public async Task Live_a_reload_after_stop_before_the_last_blocks_went_sends_only_those_and_commits()
    {
        await using var page = await OpenAsync();
        var blocked = 1;
        var sent = new ConcurrentQueue<(int Block, bool Blocked)>();
        await page.Page.RouteAsync(BlockPut(), async route =>
        {
            var block = BlockIndex(route.Request.Url);
            var refuse = block >= 2 && Volatile.Read(ref blocked) == 1;
            sent.Enqueue((block, refuse));
            await (refuse ? route.AbortAsync("connectionrefused") : route.ContinueAsync());
        });

        await page.RecordAsync("camera", 5, "Reloaded before its last blocks went");
        await page.WaitUntilStoppedAsync(5);
        await Eventually.TrueAsync(async () =>
        {
            var records = await page.EvaluateAsync<JsonElement>(LiveRecords);
            return records.GetArrayLength() == 1 && records[0].GetProperty("stopped").GetBoolean();
        }, "the stopped recording waits in IndexedDB");
        Assert.Contains(sent, attempt => attempt.Blocked);
        await page.ScreenshotAsync("stopped-with-blocks-left");

        await page.Page.ReloadAsync();
        Volatile.Write(ref blocked, 0);
        var id = await page.WaitForOutcomeAsync();

        AssertSlicesCommitted(await CommittedAsync(page.UserId, id), await SliceCopiesAsync(page.Page));
        var delivered = sent.Where(attempt => !attempt.Blocked).Select(attempt => attempt.Block).ToList();
        // Blocks 0 and 1 went before the reload and were not sent again; the rest went once each, after it.
        Assert.Equal(delivered.Distinct().Order(), delivered.Order());
        Assert.Equal([0, 1], delivered.Take(2));
        Assert.True(delivered.Count > 2, "nothing was left to send after the reload");
        AssertOnlyFailedLoads(page);
    }

    [Fact]
    public async Task Live_a_network_cut_of_10_seconds_mid_recording_loses_nothing()
    {
        await using var page = await OpenAsync();
        await page.RecordAsync("camera", 0, "Through a network cut");
        await RecorderPage.WaitForTimerAsync(page.Page, 4);

        await page.Context.SetOfflineAsync(true);
        await Expect(page.Page.Locator("#upload-text")).ToContainTextAsync("Offline");
        await page.ScreenshotAsync("offline-while-recording");
        // The cut is the scenario, not a wait for something to happen.
        await Task.Delay(TimeSpan.FromSeconds(10));
        await page.Context.SetOfflineAsync(false);
        await RecorderPage.WaitForTimerAsync(page.Page, 18);
        await StopAsync(page.Page);
        var id = await page.WaitForOutcomeAsync();

        AssertSlicesCommitted(await CommittedAsync(page.UserId, id), await SliceCopiesAsync(page.Page));
        Assert.False(await RecoveredAsync(id), "the server took the recording over during the cut");
        var media = await host.MediaDurationAsync(id);
        Assert.True(media >= 16, $"the media lasts {media:0.00} s");
        AssertOnlyFailedLoads(page);
    }

    [Fact]
    public async Task Live_upload_urls_that_expire_during_a_20_second_recording_with_a_pause_are_renewed_and_nothing_is_lost()
    {
        await using var page = await OpenAsync();
        var renewals = new ConcurrentQueue<int>();
        var signatures = new ConcurrentQueue<string>();
        page.Page.Response += (_, response) =>
        {
            if (response.Url.EndsWith("/upload-url", StringComparison.Ordinal))
            {
                renewals.Enqueue(response.Status);
            }
            else if (BlockPut().IsMatch(response.Url))
            {
                signatures.Enqueue($"{HttpUtility.ParseQueryString(new Uri(response.Url).Query)["sig"]} {response.Status}");
            }
        };

        await page.RecordAsync("camera", 0, "Longer than its upload URL");
        await RecorderPage.WaitForTimerAsync(page.Page, 8);
        // A pause on the way: nothing is recorded meanwhile, and the upload goes on around it.
        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Expect(page.Status).ToContainTextAsync("Paused");
        await Task.Delay(TimeSpan.FromSeconds(3));
        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await RecorderPage.WaitForTimerAsync(page.Page, 20, 40_000);
        await StopAsync(page.Page);
        var id = await page.WaitForOutcomeAsync();
        // The session's heartbeats carried what was staged.
        Assert.True(await host.QuerySingleAsync<bool>(
            "SELECT coalesce(live_reported_bytes > 0 AND live_reported_seconds > 0, false) FROM recordings WHERE id = @id", new { id }),
            "no heartbeat reported staged bytes and seconds");

        // Upload URLs live 12 s here: at least one was renewed while recording, and storage took every block it signed.
        Assert.NotEmpty(renewals);
        Assert.All(renewals, status => Assert.Equal(200, status));
        Assert.True(signatures.Select(entry => entry.Split(' ')[0]).Distinct().Count() >= 2, "every block went with the first URL");
        Assert.All(signatures, entry => Assert.EndsWith(" 201", entry));
        AssertSlicesCommitted(await CommittedAsync(page.UserId, id), await SliceCopiesAsync(page.Page));
        page.AssertNoErrors();
    }

    [Fact]
    public async Task Live_a_recording_past_the_quota_is_stopped_with_the_reason_shown_and_only_what_fits_is_kept()
    {
        await using var page = await OpenAsync();
        await page.RecordAsync("camera", 0, "Until the storage is full");
        await RecorderPage.WaitForTimerAsync(page.Page, 5);
        // What is staged by now (a block or more) is the user's whole storage: the next blocks do not fit.
        long limitBytes = 0;
        await Eventually.TrueAsync(async () =>
        {
            limitBytes = (await page.EvaluateAsync<JsonElement>(LiveRecords))[0].GetProperty("stagedBytes").GetInt64();
            return limitBytes > 0;
        }, "a block is staged");
        await using (var connection = await host.OpenMaintenanceAsync())
        {
            await connection.ExecuteAsync("INSERT INTO user_storage_limits (user_id, limit_bytes) VALUES (@UserId, @limitBytes)",
                new { page.UserId, limitBytes });
        }

        // A heartbeat or renewal answered 413 stops the recording within a contact interval or so.
        await Expect(page.Page.Locator("#rec-badge")).ToBeHiddenAsync(new() { Timeout = 30000 });
        await Expect(page.Page.Locator("#live-notice")).ToContainTextAsync("Recording stopped: your storage is full");
        await page.ScreenshotAsync("stopped-at-the-quota");
        var id = await page.WaitForOutcomeAsync(timeout: E2EHost.LiveSilenceTimeout + RecorderPage.ProcessingTimeout);
        await page.ScreenshotAsync("completed-with-what-fits");

        // The blocks that fit end wherever a block did: the page left their commit to the server's recovery.
        Assert.True(await RecoveredAsync(id), "not committed by the server's recovery");
        var fileSize = await host.QuerySingleAsync<long>("SELECT file_size FROM recordings WHERE id = @id", new { id });
        Assert.InRange(fileSize, 1, limitBytes);
        Assert.InRange((await CommittedAsync(page.UserId, id)).LongLength, 1, limitBytes);
        var storage = await page.EvaluateAsync<JsonElement>(
            "async () => new (await import('/recorder-client.js')).RecorderClient().getStorage()");
        Assert.InRange(storage.GetProperty("usedBytes").GetInt64(), 1, limitBytes);
        Assert.Equal(0, (await page.EvaluateAsync<JsonElement>(LiveRecords)).GetArrayLength());
    }

    [Fact]
    public async Task Live_two_tabs_of_one_user_recording_at_once_stay_apart()
    {
        await using var page = await OpenAsync();
        await page.RecordAsync("camera", 0, "First tab");
        await RecorderPage.WaitForTimerAsync(page.Page, 2);
        // The second tab opens while the first records: it must not take the first's upload for one to resume.
        var second = await page.Context.NewPageAsync();
        second.Dialog += (_, dialog) => _ = dialog.AcceptAsync();
        await second.GotoAsync("/");
        await Expect(second.Locator("#studio")).ToBeVisibleAsync();
        await second.Locator("input[name=mode][value=\"audio\"]").CheckAsync(new() { Force = true });
        await second.Locator("#studio").GetByLabel("Title").FillAsync("Second tab");
        await second.GetByRole(AriaRole.Button, new() { Name = "Record" }).ClickAsync();
        await RecorderPage.WaitForTimerAsync(second, 6);
        // Both uploads are still in the IndexedDB the tabs share: the second tab's resume left the first's alone.
        Assert.Equal(2, (await page.EvaluateAsync<JsonElement>(LiveRecords)).GetArrayLength());

        await StopAsync(page.Page);
        await StopAsync(second);
        var first = await page.WaitForOutcomeAsync();
        await Expect(second.Locator("#result")).ToHaveAttributeAsync("data-status", "completed",
            new() { Timeout = (float)RecorderPage.ProcessingTimeout.TotalMilliseconds });
        var other = long.Parse((await second.Locator("#result").GetAttributeAsync("data-recording-id"))!,
            System.Globalization.CultureInfo.InvariantCulture);

        Assert.NotEqual(first, other);
        AssertSlicesCommitted(await CommittedAsync(page.UserId, first), await SliceCopiesAsync(page.Page));
        AssertSlicesCommitted(await CommittedAsync(page.UserId, other), await SliceCopiesAsync(second));
        Assert.Equal((false, false), (await RecoveredAsync(first), await RecoveredAsync(other)));
        page.AssertNoErrors();
    }

    /// <summary>The page signed in, reloaded so that the slice copies are made from the first recording on.</summary>
    private async Task<RecorderPage> OpenAsync([CallerMemberName] string test = "")
    {
        var page = await RecorderPage.OpenAsync(host, test);
        await page.Context.AddInitScriptAsync(SliceCopies);
        // A reload while recording asks "leave the page?": the person leaves.
        page.Page.Dialog += (_, dialog) => _ = dialog.AcceptAsync();
        await page.Page.ReloadAsync();
        await Expect(page.Page.Locator("#studio")).ToBeVisibleAsync();
        return page;
    }

    private static Task StopAsync(IPage page) => page.GetByRole(AriaRole.Button, new() { Name = "Stop" }).ClickAsync();

    private async Task<long> LiveRecordingIdAsync(string userId, string title)
    {
        await using var connection = await host.OpenMaintenanceAsync();
        return await connection.QuerySingleAsync<long>(
            "SELECT id FROM recordings WHERE user_id = @userId AND title = @title AND live", new { userId, title });
    }

    private async Task<bool> RecoveredAsync(long id)
        => await host.QuerySingleAsync<bool>("SELECT recovered_at IS NOT NULL FROM recordings WHERE id = @id", new { id });

    private async Task<(string Status, bool Recovered)> OutcomeAsync(long id, TimeSpan timeout)
    {
        var outcome = ("", false);
        await Eventually.TrueAsync(async () =>
        {
            outcome = await host.QuerySingleAsync<(string, bool)>(
                "SELECT status, recovered_at IS NOT NULL FROM recordings WHERE id = @id", new { id });
            return outcome.Item1 is "completed" or "failed";
        }, $"recording {id} is completed or failed", timeout);
        return outcome;
    }

    /// <summary>
    /// The blob the recording's upload committed: ingest's served copy of exactly that version (the upload blob itself is
    /// deleted once completed, and the seekable copy is a remux).
    /// </summary>
    private async Task<byte[]> CommittedAsync(string userId, long id)
    {
        var container = host.Container(host.Storage.ProcessedContainer);
        await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Prefix = $"{userId}/{id}/" }))
        {
            if (Path.GetFileNameWithoutExtension(blob.Name) == "media")
            {
                return (await container.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray();
            }
        }
        Assert.Fail($"recording {id} has no served copy");
        return [];
    }

    private static async Task<IReadOnlyList<byte[]>> SliceCopiesAsync(IPage page)
        => (await page.EvaluateAsync<string[]>(ReadSliceCopies)).Select(Convert.FromBase64String).ToList();

    /// <summary>
    /// The committed blob is MediaRecorder's slices from the first, in order: all of them, or all but the last
    /// <paramref name="mayLack"/>.
    /// </summary>
    private static void AssertSlicesCommitted(byte[] committed, IReadOnlyList<byte[]> slices, int mayLack = 0)
    {
        Assert.True(slices.Count > 2, $"only {slices.Count} slices were recorded");
        for (var count = slices.Count; count >= Math.Max(1, slices.Count - mayLack); count--)
        {
            var expected = slices.Take(count).SelectMany(slice => slice).ToArray();
            if (expected.Length == committed.Length)
            {
                Assert.Equal(Convert.ToHexString(SHA256.HashData(expected)), Convert.ToHexString(SHA256.HashData(committed)));
                return;
            }
        }
        Assert.Fail($"{committed.Length} bytes committed; the {slices.Count} slices recorded hold {slices.Sum(slice => slice.Length)}");
    }

    private static int BlockIndex(string url)
    {
        var blockId = HttpUtility.ParseQueryString(new Uri(url).Query)["blockid"]!;
        return int.Parse(Encoding.ASCII.GetString(Convert.FromBase64String(blockId))["block-".Length..],
            System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A cut network or a refused block logs a failed load; anything else the page reported is a finding.</summary>
    private static void AssertOnlyFailedLoads(RecorderPage page)
        => Assert.All(page.Errors, error => Assert.StartsWith("Failed to load resource", error, StringComparison.Ordinal));
}
