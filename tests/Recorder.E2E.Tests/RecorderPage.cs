using System.Runtime.CompilerServices;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Recorder.E2E.Tests;

/// <summary>
/// The recorder page as a person uses it, in a browser context of its own, signed in as a new demo
/// user; every step can leave a screenshot under screenshots/&lt;test&gt;/ in the test output folder.
/// </summary>
public sealed class RecorderPage : IAsyncDisposable
{
    /// <summary>Ingest of a few seconds of media takes a second or two; CI machines are slow and busy.</summary>
    public static readonly TimeSpan ProcessingTimeout = TimeSpan.FromSeconds(60);

    private readonly string screenshots;
    private int step;

    private RecorderPage(IBrowserContext context, IPage page, string userId, string screenshots)
    {
        Context = context;
        Page = page;
        UserId = userId;
        this.screenshots = screenshots;
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public string UserId { get; }

    /// <summary>Browser console errors and uncaught exceptions, for failure messages.</summary>
    public List<string> Errors { get; } = [];

    public static async Task<RecorderPage> OpenAsync(E2EHost host, [CallerMemberName] string test = "")
    {
        var context = await host.NewContextAsync();
        var page = await context.NewPageAsync();
        var userId = "e2e-" + Guid.NewGuid().ToString("N")[..12];
        var folder = Path.Combine(AppContext.BaseDirectory, "screenshots", test);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
        Directory.CreateDirectory(folder);
        var recorder = new RecorderPage(context, page, userId, folder);
        page.PageError += (_, error) => recorder.Errors.Add(error);
        await page.GotoAsync("/");
        await page.GetByLabel("Demo user").FillAsync(userId);
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue as demo user" }).ClickAsync();
        await Expect(page.Locator("#studio")).ToBeVisibleAsync();
        // From here on (the signed-out page's 401 is expected) every console error is a finding.
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                recorder.Errors.Add($"{message.Text} ({message.Location})");
            }
        };
        return recorder;
    }

    public ILocator Status => Page.Locator("#status");

    public ILocator Result => Page.Locator("#result");

    public ILocator Library => Page.Locator("#recordings");

    public ILocator Item(long recordingId) => Page.Locator($"#recordings [data-recording-id=\"{recordingId}\"]");

    public ILocator LocalEntries => Page.Locator("#local-list li");

    /// <summary>
    /// Records with the page's time limit (the page stops the recorder itself, on time; 0 for none), uploading while it
    /// records unless <paramref name="live"/> is false (the whole file after Stop).
    /// </summary>
    public async Task RecordAsync(string mode, int seconds, string title, bool live = true)
    {
        await Page.Locator($"input[name=mode][value=\"{mode}\"]").CheckAsync(new() { Force = true });
        await Page.Locator("#studio").GetByLabel("Title").FillAsync(title);
        await Page.GetByLabel("Upload while recording").SetCheckedAsync(live);
        await Page.GetByLabel("Stop after").SelectOptionAsync(seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Page.GetByRole(AriaRole.Button, new() { Name = "Record" }).ClickAsync();
        await Expect(Page.Locator("#rec-badge")).ToBeVisibleAsync();
        await Expect(Page.Locator("#stop")).ToBeEnabledAsync();
    }

    /// <summary>Waits for the recorder to have stopped on its time limit.</summary>
    /// <summary>
    /// Waits until <paramref name="page"/>'s timer shows at least <paramref name="seconds"/> of recorded time. At least,
    /// not exactly: each figure shows for one second, which a poll on a loaded machine can miss.
    /// </summary>
    public static async Task WaitForTimerAsync(IPage page, int seconds, int timeoutMs = 30_000)
        => await page.WaitForFunctionAsync(
            """
            seconds => { const [m, s] = document.querySelector('#timer').textContent.split(':').map(Number); return m * 60 + s >= seconds; }
            """,
            seconds, new() { Timeout = timeoutMs });

    public async Task WaitUntilStoppedAsync(int seconds)
        => await Expect(Page.Locator("#rec-badge")).ToBeHiddenAsync(new() { Timeout = (seconds + 10) * 1000 });

    /// <summary>
    /// Waits for the result panel to show an outcome of ingest (within <see cref="ProcessingTimeout"/> unless given) and
    /// returns the recording id.
    /// </summary>
    public async Task<long> WaitForOutcomeAsync(string status = "completed", TimeSpan? timeout = null)
    {
        await Expect(Result).ToHaveAttributeAsync("data-status", status,
            new() { Timeout = (float)(timeout ?? ProcessingTimeout).TotalMilliseconds });
        return long.Parse((await Result.GetAttributeAsync("data-recording-id"))!, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Saves a screenshot as NN-name.png: the whole page, or the viewport while a modal dialog is open
    /// (a full-page capture would show its backdrop over the viewport's part only).
    /// </summary>
    public async Task ScreenshotAsync(string name)
    {
        step++;
        var dialogOpen = await Page.EvaluateAsync<bool>("() => document.querySelector('dialog[open]') !== null");
        await Page.ScreenshotAsync(new() { Path = Path.Combine(screenshots, $"{step:00}-{name}.png"), FullPage = !dialogOpen });
    }

    /// <summary>The page logged no error and threw nothing since sign-in.</summary>
    public void AssertNoErrors() => Xunit.Assert.True(Errors.Count == 0, "The page reported errors:\n" + string.Join("\n", Errors));

    /// <summary>Runs a script in the page (e.g. against the module's LocalRecordings).</summary>
    public Task<T> EvaluateAsync<T>(string script) => Page.EvaluateAsync<T>(script);

    public async ValueTask DisposeAsync() => await Context.DisposeAsync();
}
