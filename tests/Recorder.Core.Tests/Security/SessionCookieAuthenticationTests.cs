using System.Text.Json;
using Microsoft.Extensions.Logging;
using Recorder.Core.Security;
using Recorder.Testing;
using Xunit;
using static Recorder.Core.Security.AuthenticationResult;

namespace Recorder.Core.Tests.Security;

/// <summary>The main app's express-session cookie, against real <c>sessions</c> and <c>users</c> rows.</summary>
public sealed class SessionCookieAuthenticationTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    private const string Secret = "keyboard cat, the app's session secret";
    private static readonly DateTimeOffset Now = new(2031, 1, 15, 12, 0, 0, TimeSpan.Zero);

    private readonly AppTables tables = new(database);

    [Fact]
    public async Task Accepts_a_signed_cookie_of_a_live_session_with_every_recording_scope()
    {
        var (userId, sid) = await LiveSessionAsync();
        await using var auth = Authenticator();

        var result = await auth.AuthenticateAsync(Requests.With(cookie: Requests.SessionCookie(sid, Secret)));

        var caller = Assert.IsType<Authenticated>(result).Caller;
        Assert.Equal((userId, Caller.SessionMethod), (caller.UserId, caller.Method));
        Assert.Equal(RecordingScopes.All.Order(), caller.Scopes.Order());
        Assert.Empty(auth.Logger.Entries);
    }

    [Fact]
    public async Task Accepts_the_cookie_raw_as_well_as_url_encoded()
    {
        var (userId, sid) = await LiveSessionAsync();
        await using var auth = Authenticator();
        var raw = "s:" + SessionCookieSigner.Sign(sid, Secret);

        var result = await auth.AuthenticateAsync(Requests.With(cookie: $"theme=dark; connect.sid={raw}; other=1"));

        Assert.Equal(userId, Assert.IsType<Authenticated>(result).Caller.UserId);
        Assert.Contains('%', Requests.SessionCookie(sid, Secret)); // the encoded form really differs
    }

    [Fact]
    public async Task Reads_the_cookie_name_from_the_settings()
    {
        var (userId, sid) = await LiveSessionAsync();
        await using var auth = Authenticator(options => options.SessionCookieName = "app.sid");

        Assert.Equal(userId, Assert.IsType<Authenticated>(await auth.AuthenticateAsync(Requests.With(cookie: Requests.SessionCookie(sid, Secret, "app.sid")))).Caller.UserId);
        Assert.IsType<NoCredentials>(await auth.AuthenticateAsync(Requests.With(cookie: Requests.SessionCookie(sid, Secret))));
    }

    [Fact]
    public async Task Uses_the_first_cookie_of_the_name_as_express_does()
    {
        var (userId, sid) = await LiveSessionAsync();
        await using var auth = Authenticator();
        var valid = Requests.SessionCookie(sid, Secret);
        var forged = Requests.SessionCookie(Requests.NewSid(), "not the secret");

        Assert.Equal(userId, Assert.IsType<Authenticated>(await auth.AuthenticateAsync(Requests.With(cookie: $"{valid}; {forged}"))).Caller.UserId);
        Assert.Equal(new Rejected(RejectionReasons.BadSignature), await auth.AuthenticateAsync(Requests.With(cookie: $"{forged}; {valid}")));
    }

    [Fact]
    public async Task Refuses_an_unsigned_cookie()
    {
        var (_, sid) = await LiveSessionAsync();
        await using var auth = Authenticator();

        Assert.Equal(new Rejected(RejectionReasons.UnsignedCookie), await auth.AuthenticateAsync(Requests.With(cookie: $"connect.sid={sid}")));
        Assert.Equal(new Rejected(RejectionReasons.UnsignedCookie), await auth.AuthenticateAsync(Requests.With(cookie: $"connect.sid={SessionCookieSigner.Sign(sid, Secret)}")));
    }

    [Fact]
    public async Task Refuses_a_cookie_signed_with_another_secret()
    {
        var (_, sid) = await LiveSessionAsync();
        await using var auth = Authenticator();

        Assert.Equal(new Rejected(RejectionReasons.BadSignature), await auth.AuthenticateAsync(Requests.With(cookie: Requests.SessionCookie(sid, "another secret"))));
    }

    [Fact]
    public async Task A_rotated_out_secret_verifies_while_it_is_listed()
    {
        var (userId, sid) = await LiveSessionAsync();
        var cookie = Requests.SessionCookie(sid, "the old secret");

        await using (var rotating = Authenticator(options => options.SessionSecrets = ["the new secret", "the old secret"]))
        {
            Assert.Equal(userId, Assert.IsType<Authenticated>(await rotating.AuthenticateAsync(Requests.With(cookie: cookie))).Caller.UserId);
        }
        await using var rotated = Authenticator(options => options.SessionSecrets = ["the new secret"]);
        Assert.Equal(new Rejected(RejectionReasons.BadSignature), await rotated.AuthenticateAsync(Requests.With(cookie: cookie)));
    }

    [Fact]
    public async Task A_session_id_with_dots_is_everything_before_the_last_dot()
    {
        var (userId, sid) = await LiveSessionAsync(sid: "dotted." + Requests.NewSid() + ".id");
        await using var auth = Authenticator();

        Assert.Equal(userId, Assert.IsType<Authenticated>(await auth.AuthenticateAsync(Requests.With(cookie: Requests.SessionCookie(sid, Secret)))).Caller.UserId);
    }

    [Fact]
    public async Task Refuses_a_truncated_cookie()
    {
        var (_, sid) = await LiveSessionAsync();
        await using var auth = Authenticator();
        var signed = "s:" + SessionCookieSigner.Sign(sid, Secret);

        foreach (var truncated in new[] { signed[..^1], signed[..^20], signed[..(2 + sid.Length + 1)], signed[..(2 + sid.Length)], "s:" })
        {
            Assert.Equal(new Rejected(RejectionReasons.BadSignature), await auth.AuthenticateAsync(Requests.With(cookie: "connect.sid=" + Uri.EscapeDataString(truncated))));
        }
    }

    [Fact]
    public async Task Refuses_a_validly_signed_cookie_of_an_unknown_session()
    {
        await using var auth = Authenticator();

        Assert.Equal(new Rejected(RejectionReasons.UnknownSession), await auth.AuthenticateAsync(Requests.With(cookie: Requests.SessionCookie(Requests.NewSid(), Secret))));
    }

    [Fact]
    public async Task Refuses_an_expired_session()
    {
        var userId = await tables.InsertUserAsync();
        var sid = Requests.NewSid();
        await tables.InsertSessionAsync(sid, AppTables.ReplitSess(userId), Now.UtcDateTime.AddSeconds(-1));
        await using var auth = Authenticator();

        Assert.Equal(new Rejected(RejectionReasons.ExpiredSession), await auth.AuthenticateAsync(Requests.With(cookie: Requests.SessionCookie(sid, Secret))));
    }

    [Fact]
    public async Task A_session_is_served_up_to_and_including_its_expiry()
    {
        var userId = await tables.InsertUserAsync();
        var sid = Requests.NewSid();
        await tables.InsertSessionAsync(sid, AppTables.ReplitSess(userId), Now.UtcDateTime);
        await using var auth = Authenticator();

        Assert.IsType<Authenticated>(await auth.AuthenticateAsync(Requests.With(cookie: Requests.SessionCookie(sid, Secret))));
    }

    // Each case reads wrongly if `expire` is taken as UTC: in New York (west of UTC) a live session
    // looks expired, in Tokyo (east of UTC) an expired one looks live; in New York's summer a
    // standard-time reading is an hour off.
    [Theory]
    [InlineData("America/New_York", "2031-01-15T12:00:00Z", 120, true)]
    [InlineData("America/New_York", "2031-01-15T12:00:00Z", -60, false)]
    [InlineData("Asia/Tokyo", "2031-01-15T12:00:00Z", -60, false)]
    [InlineData("Asia/Tokyo", "2031-01-15T12:00:00Z", 60, true)]
    [InlineData("America/New_York", "2031-07-15T12:00:00Z", -30, false)]
    [InlineData("America/New_York", "2031-07-15T12:00:00Z", 30, true)]
    [InlineData("Asia/Kolkata", "2031-07-15T12:00:00Z", -10, false)]
    public async Task Reads_expire_in_the_apps_session_time_zone(string timeZone, string now, int expiresInMinutes, bool live)
    {
        var clock = DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture);
        var userId = await tables.InsertUserAsync();
        var sid = Requests.NewSid();
        await tables.InsertSessionAsConnectPgSimpleAsync(sid, AppTables.ReplitSess(userId), clock.AddMinutes(expiresInMinutes), timeZone);
        await using var auth = Authenticator(options => options.SessionTimeZone = timeZone, clock);

        var result = await auth.AuthenticateAsync(Requests.With(cookie: Requests.SessionCookie(sid, Secret)));

        Assert.Equal(live, result is Authenticated);
        Assert.Equal(live ? null : RejectionReasons.ExpiredSession, (result as Rejected)?.Reason);
    }

    [Theory]
    // 2031-11-02 01:30 happens twice in New York: 05:30Z (EDT) and 06:30Z (EST). The earlier is taken.
    [InlineData("2031-11-02T05:15:00Z", true)]
    [InlineData("2031-11-02T05:45:00Z", false)]
    [InlineData("2031-11-02T06:15:00Z", false)]
    public async Task An_ambiguous_wall_clock_expiry_ends_at_its_earlier_instant(string now, bool live)
    {
        var userId = await tables.InsertUserAsync();
        var sid = Requests.NewSid();
        await tables.InsertSessionAsync(sid, AppTables.ReplitSess(userId), new DateTime(2031, 11, 2, 1, 30, 0));
        await using var auth = Authenticator(options => options.SessionTimeZone = "America/New_York", DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(live, await auth.AuthenticateAsync(Requests.With(cookie: Requests.SessionCookie(sid, Secret))) is Authenticated);
    }

    [Theory]
    [InlineData("""{"cookie":{"path":"/"}}""")]
    [InlineData("""{"cookie":{"path":"/"},"passport":{}}""")]
    [InlineData("""{"passport":{"user":{"claims":{"email":"a@example.test"}}}}""")]
    [InlineData("""{"passport":{"user":{"claims":{"sub":42}}}}""")]
    [InlineData("""{"passport":{"user":""}}""")]
    [InlineData("""{"passport":{"user":null}}""")]
    [InlineData("""[1,2,3]""")]
    public async Task Refuses_a_session_without_a_passport_user(string sess)
    {
        var sid = Requests.NewSid();
        await tables.InsertSessionAsync(sid, sess, Now.UtcDateTime.AddDays(1));
        await using var auth = Authenticator();

        Assert.Equal(new Rejected(RejectionReasons.SessionWithoutUser), await auth.AuthenticateAsync(Requests.With(cookie: Requests.SessionCookie(sid, Secret))));
    }

    [Fact]
    public async Task Takes_the_user_from_a_plain_passport_session_too()
    {
        var userId = await tables.InsertUserAsync();
        var sid = Requests.NewSid();
        await tables.InsertSessionAsync(sid, JsonSerializer.Serialize(new { passport = new { user = userId } }), Now.UtcDateTime.AddDays(1));
        await using var auth = Authenticator();

        Assert.Equal(userId, Assert.IsType<Authenticated>(await auth.AuthenticateAsync(Requests.With(cookie: Requests.SessionCookie(sid, Secret)))).Caller.UserId);
    }

    [Fact]
    public async Task Refuses_an_inactive_user()
    {
        var (_, sid) = await LiveSessionAsync(isActive: false);
        await using var auth = Authenticator();

        Assert.Equal(new Rejected(RejectionReasons.InactiveUser), await auth.AuthenticateAsync(Requests.With(cookie: Requests.SessionCookie(sid, Secret))));
    }

    [Fact]
    public async Task Counts_a_null_is_active_as_active()
    {
        var (userId, sid) = await LiveSessionAsync(isActive: null);
        await using var auth = Authenticator();

        Assert.Equal(userId, Assert.IsType<Authenticated>(await auth.AuthenticateAsync(Requests.With(cookie: Requests.SessionCookie(sid, Secret)))).Caller.UserId);
    }

    [Fact]
    public async Task Refuses_a_session_whose_user_row_is_missing()
    {
        var sid = Requests.NewSid();
        await tables.InsertSessionAsync(sid, AppTables.ReplitSess("user-that-was-deleted-" + Guid.NewGuid().ToString("N")), Now.UtcDateTime.AddDays(1));
        await using var auth = Authenticator();

        Assert.Equal(new Rejected(RejectionReasons.UnknownUser), await auth.AuthenticateAsync(Requests.With(cookie: Requests.SessionCookie(sid, Secret))));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("theme=dark; lang=en")]
    [InlineData("connect.sid=")]
    public async Task No_cookie_is_no_credentials(string? cookieHeader)
    {
        await using var auth = Authenticator();

        Assert.IsType<NoCredentials>(await auth.AuthenticateAsync(Requests.With(cookie: cookieHeader)));
        Assert.IsType<NoCredentials>(await auth.AuthenticateAsync(Requests.With(cookie: cookieHeader, authorization: "Basic dXNlcjpwYXNz")));
    }

    [Fact]
    public async Task The_cookie_is_ignored_when_no_session_secret_is_configured()
    {
        var (_, sid) = await LiveSessionAsync();
        await using var auth = Authenticator(options =>
        {
            options.SessionSecrets = [];
            options.Jwt = new JwtOptions { HmacSecret = new string('k', 32), Issuer = "app", Audience = "recorder" };
        });

        Assert.IsType<NoCredentials>(await auth.AuthenticateAsync(Requests.With(cookie: Requests.SessionCookie(sid, Secret))));
    }

    [Fact]
    public async Task Another_authorization_scheme_falls_through_to_the_cookie()
    {
        var (userId, sid) = await LiveSessionAsync();
        await using var auth = Authenticator();

        var result = await auth.AuthenticateAsync(Requests.With(cookie: Requests.SessionCookie(sid, Secret), authorization: "Basic dXNlcjpwYXNz"));

        Assert.Equal(userId, Assert.IsType<Authenticated>(result).Caller.UserId);
    }

    [Fact]
    public async Task Logs_rejections_by_reason_and_never_the_cookie_the_session_id_or_the_session()
    {
        var inactiveUser = await tables.InsertUserAsync(isActive: false);
        var sid = Requests.NewSid();
        await tables.InsertSessionAsync(sid, AppTables.ReplitSess(inactiveUser, "oauth-access-" + sid, "oauth-refresh-" + sid), Now.UtcDateTime.AddDays(1));
        var expiredSid = Requests.NewSid();
        await tables.InsertSessionAsync(expiredSid, AppTables.ReplitSess(inactiveUser, "oauth-access-" + expiredSid), Now.UtcDateTime.AddDays(-1));
        await using var auth = Authenticator();
        var cookies = new[]
        {
            Requests.SessionCookie(sid, Secret),
            Requests.SessionCookie(expiredSid, Secret),
            Requests.SessionCookie(sid, "forged"),
            $"connect.sid={sid}",
        };

        foreach (var cookie in cookies)
        {
            Assert.IsType<Rejected>(await auth.AuthenticateAsync(Requests.With(cookie: cookie)));
        }

        Assert.Equal<(LogLevel, string)>(
            [
                (LogLevel.Information, "Rejected session credential: inactive user"),
                (LogLevel.Information, "Rejected session credential: expired session"),
                (LogLevel.Warning, "Rejected session credential: bad signature"),
                (LogLevel.Warning, "Rejected session credential: unsigned cookie"),
            ],
            auth.Logger.Entries);
        var logged = string.Concat(auth.Logger.Entries.Select(entry => entry.Message));
        Assert.DoesNotContain(sid, logged);
        Assert.DoesNotContain(expiredSid, logged);
        Assert.DoesNotContain("oauth", logged);
        Assert.DoesNotContain(Secret, logged);
    }

    private async Task<(string UserId, string Sid)> LiveSessionAsync(bool? isActive = true, string? sid = null)
    {
        var userId = await tables.InsertUserAsync(isActive);
        sid ??= Requests.NewSid();
        await tables.InsertSessionAsync(sid, AppTables.ReplitSess(userId), Now.UtcDateTime.AddDays(7));
        return (userId, sid);
    }

    private TestAuthenticator Authenticator(Action<AuthOptions>? configure = null, DateTimeOffset? now = null)
    {
        var options = new AuthOptions { SessionSecrets = [Secret] };
        configure?.Invoke(options);
        return new TestAuthenticator(database, options, now ?? Now);
    }
}
