using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Npgsql;
using Recorder.Core.Security;

namespace Recorder.DevHost;

/// <summary>
/// Dev host only, never in the Functions app: signs the browser in as a demo user the way the main app
/// does (a <c>users</c> row, a <c>sessions</c> row, a <c>connect.sid</c> cookie signed with the first
/// session secret), so the demo recorder page can call the API. <c>recorder_app</c> cannot write those
/// tables, so it writes as the owner; without <see cref="ConnectionSetting"/> it is not mapped.
/// </summary>
public static partial class DemoSignIn
{
    public const string SignInRoute = "/dev/sign-in";
    public const string SignOutRoute = "/dev/sign-out";
    public const string ConnectionSetting = "Database:MigratorConnectionString";
    public const string DefaultUser = "demo-user";

    private static readonly TimeSpan SessionLifetime = TimeSpan.FromDays(1);

    // The Replit Auth shape the app writes (passport.user.claims.sub), with express-session's cookie block.
    private const string SignInSql = """
        INSERT INTO users (id, email, password, first_name, last_name)
        VALUES (@UserId, @UserId || '@demo.invalid', '!demo', 'Demo', @UserId)
        ON CONFLICT (id) DO NOTHING;
        INSERT INTO sessions (sid, sess, expire)
        VALUES (@Sid, @Sess::jsonb, (now() + @Lifetime) AT TIME ZONE @TimeZone);
        """;

    private const string SignOutSql = "DELETE FROM sessions WHERE sid = @Sid";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$")]
    private static partial Regex UserIdPattern();

    /// <summary>
    /// Maps <c>POST /dev/sign-in</c> and <c>POST /dev/sign-out</c> when the owner connection and a session secret are configured.
    /// </summary>
    public static void MapDemoSignIn(this WebApplication app)
    {
        var connectionString = app.Configuration[ConnectionSetting];
        var auth = app.Configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions();
        if (string.IsNullOrEmpty(connectionString) || auth.SessionSecrets.FirstOrDefault() is not { Length: > 0 } secret)
        {
            DemoSignInLog.NotMapped(app.Logger, ConnectionSetting);
            return;
        }

        // Requires a JSON body: a cross-site form cannot send one without a CORS preflight the dev host refuses.
        app.MapPost(SignInRoute, async (HttpContext context, SignInRequest request) =>
        {
            var userId = string.IsNullOrWhiteSpace(request.User) ? DefaultUser : request.User;
            if (!UserIdPattern().IsMatch(userId))
            {
                return ProblemResponses.Problem(StatusCodes.Status400BadRequest, "user must be 1-40 lower-case letters, digits or dashes.");
            }
            var sid = Base64UrlSid();
            var expires = DateTimeOffset.UtcNow + SessionLifetime;
            await using (var connection = new NpgsqlConnection(connectionString))
            {
                await connection.ExecuteAsync(new CommandDefinition(SignInSql, new
                {
                    UserId = userId,
                    Sid = sid,
                    Sess = SessionJson(userId, expires),
                    Lifetime = SessionLifetime,
                    TimeZone = auth.SessionTimeZone,
                }, cancellationToken: context.RequestAborted));
            }
            // ResponseCookies URL-encodes the value, as express-session's cookie.serialize does.
            context.Response.Cookies.Append(auth.SessionCookieName, "s:" + SessionCookieSigner.Sign(sid, secret), new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Path = "/",
                Expires = expires,
            });
            DemoSignInLog.SignedIn(app.Logger, userId);
            return Results.Ok(new { userId });
        });

        app.MapPost(SignOutRoute, async (HttpContext context) =>
        {
            var cookie = context.Request.Cookies[auth.SessionCookieName];
            if (cookie is not null && Uri.UnescapeDataString(cookie) is var value && value.StartsWith("s:", StringComparison.Ordinal)
                && SessionCookieSigner.Unsign(value[2..], [System.Text.Encoding.UTF8.GetBytes(secret)]) is { } sid)
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.ExecuteAsync(
                    new CommandDefinition(SignOutSql, new { Sid = sid }, cancellationToken: context.RequestAborted));
            }
            context.Response.Cookies.Delete(auth.SessionCookieName, new CookieOptions { Path = "/" });
            return Results.NoContent();
        });
    }

    /// <summary>Like express-session's uid-safe(24): 32 URL-safe characters.</summary>
    private static string Base64UrlSid() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');

    private static string SessionJson(string userId, DateTimeOffset expires) => JsonSerializer.Serialize(new
    {
        cookie = new { originalMaxAge = (long)SessionLifetime.TotalMilliseconds, expires = expires.ToString("O"), httpOnly = true,
            path = "/", sameSite = "lax" },
        passport = new { user = new { claims = new { sub = userId } } },
    });

    public sealed record SignInRequest(string? User);
}

internal static partial class DemoSignInLog
{
    [LoggerMessage(101, LogLevel.Information, "Demo sign-in is off: {Setting} or Auth:SessionSecrets is not set")]
    public static partial void NotMapped(ILogger logger, string setting);

    [LoggerMessage(102, LogLevel.Information, "Demo sign-in for user {UserId}")]
    public static partial void SignedIn(ILogger logger, string userId);
}
