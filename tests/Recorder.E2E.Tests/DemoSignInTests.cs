using System.Text;
using Dapper;
using Microsoft.Playwright;
using Recorder.Core.Security;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Recorder.E2E.Tests;

/// <summary>The dev host's demo sign-in: the main app's own cookie and sessions row, and sign-out.</summary>
[Collection(E2ECollection.Name)]
public sealed class DemoSignInTests(E2EHost host)
{
    [Fact]
    public async Task Sign_in_sets_an_express_session_cookie_and_sign_out_ends_the_session()
    {
        await using var page = await RecorderPage.OpenAsync(host);

        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == "connect.sid");
        Assert.True(cookie.HttpOnly);
        Assert.StartsWith("s%3A", cookie.Value); // URL-encoded "s:", as express-session writes it
        var sid = SessionCookieSigner.Unsign(Uri.UnescapeDataString(cookie.Value)[2..], [Encoding.UTF8.GetBytes(E2EHost.SessionSecret)]);
        Assert.NotNull(sid);
        // The main app's sessions table, as the owner.
        await using var owner = await host.OpenOwnerAsync();
        Assert.Equal(page.UserId, await owner.QuerySingleAsync<string>(
            "SELECT sess -> 'passport' -> 'user' -> 'claims' ->> 'sub' FROM sessions WHERE sid = @sid AND expire > now() AT TIME ZONE 'UTC'", new { sid }));
        await Expect(page.Page.Locator("#who")).ToHaveTextAsync(page.UserId);

        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        await Expect(page.Page.GetByRole(AriaRole.Button, new() { Name = "Continue as demo user" })).ToBeVisibleAsync();
        await page.ScreenshotAsync("signed-out");
        Assert.Equal(0, await owner.QuerySingleAsync<int>("SELECT count(*)::int FROM sessions WHERE sid = @sid", new { sid }));
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "connect.sid");
    }
}
