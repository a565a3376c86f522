using System.Text;
using Microsoft.AspNetCore.Http;
using static Recorder.Core.Security.AuthenticationResult;

namespace Recorder.Core.Security;

/// <summary>
/// The main app's express-session cookie (<c>s:&lt;sid&gt;.&lt;signature&gt;</c>, URL-encoded), checked
/// the way express-session and connect-pg-simple check it.
/// </summary>
internal sealed class SessionCookieAuthenticator(AuthOptions options, CredentialStore store, TimeProvider timeProvider)
{
    private const string SignedPrefix = "s:";

    private readonly byte[][] secrets = [.. options.SessionSecrets.Select(Encoding.UTF8.GetBytes)];
    private readonly TimeZoneInfo sessionTimeZone = AuthOptionsValidator.FindTimeZone(options.SessionTimeZone)
        ?? throw new InvalidOperationException("Auth:SessionTimeZone is not a known IANA time zone id.");

    /// <summary>The cookie's decoded value; null when it is absent or session cookies are not configured.</summary>
    public string? ReadCookie(HttpRequest request)
    {
        if (secrets.Length == 0)
        {
            return null;
        }
        // express-session takes the first cookie of its name (so does the npm `cookie` parser);
        // ASP.NET Core's Request.Cookies keeps the last, so the header is read here as Express reads it.
        foreach (var header in request.Headers.Cookie)
        {
            foreach (var pair in (header ?? "").Split(';'))
            {
                var equals = pair.IndexOf('=');
                if (equals > 0 && pair.AsSpan(0, equals).Trim().SequenceEqual(options.SessionCookieName))
                {
                    var value = pair[(equals + 1)..].Trim();
                    return value.Length == 0 ? null : Uri.UnescapeDataString(value);
                }
            }
        }
        return null;
    }

    public async Task<AuthenticationResult> AuthenticateAsync(string cookie, CancellationToken cancellationToken)
    {
        if (!cookie.StartsWith(SignedPrefix, StringComparison.Ordinal))
        {
            return new Rejected(RejectionReasons.UnsignedCookie);
        }
        if (SessionCookieSigner.Unsign(cookie[SignedPrefix.Length..], secrets) is not { } sid)
        {
            return new Rejected(RejectionReasons.BadSignature);
        }

        var session = await store.FindSessionAsync(sid, cancellationToken);
        if (session is null)
        {
            return new Rejected(RejectionReasons.UnknownSession);
        }
        // connect-pg-simple serves a session while now <= expire.
        if (ExpiresAt(session.Expire) < timeProvider.GetUtcNow())
        {
            return new Rejected(RejectionReasons.ExpiredSession);
        }
        if (session.UserId is null)
        {
            return new Rejected(RejectionReasons.SessionWithoutUser);
        }
        return session.User.Rejection is { } rejection
            ? new Rejected(rejection)
            : new Authenticated(new Caller(session.UserId, RecordingScopes.All, Caller.SessionMethod));
    }

    /// <summary>
    /// The instant of a <c>sessions.expire</c> value. connect-pg-simple writes <c>to_timestamp(epoch)</c>
    /// into a timestamp without time zone, so PostgreSQL stores the wall-clock time of the app's
    /// connection time zone. Where clocks go back a wall-clock time names two instants: the earlier
    /// is taken, so a session never lives longer here than in the app.
    /// </summary>
    private DateTimeOffset ExpiresAt(DateTime wallClock)
    {
        var offset = sessionTimeZone.IsAmbiguousTime(wallClock)
            ? sessionTimeZone.GetAmbiguousTimeOffsets(wallClock).Max()
            : sessionTimeZone.GetUtcOffset(wallClock);
        return new DateTimeOffset(DateTime.SpecifyKind(wallClock, DateTimeKind.Unspecified), offset);
    }
}
