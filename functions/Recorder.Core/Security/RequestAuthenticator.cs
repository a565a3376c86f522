using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Data;
using static Recorder.Core.Security.AuthenticationResult;

namespace Recorder.Core.Security;

/// <summary>
/// Who is calling: a bearer token if the request has one (a bad token is refused even when a
/// session cookie is present too), else the main app's session cookie, else nobody. Rejections are
/// logged with their reason code only, never the cookie, token, session id or session data.
/// A database failure is thrown, not turned into a rejection: it is the server's fault.
/// </summary>
public sealed class RequestAuthenticator
{
    private const string BearerScheme = "Bearer";

    private readonly SessionCookieAuthenticator sessions;
    private readonly BearerTokenAuthenticator bearer;
    private readonly ILogger<RequestAuthenticator> logger;

    public RequestAuthenticator(
        IOptions<AuthOptions> options, RecorderDataSources dataSources, TimeProvider timeProvider, ILogger<RequestAuthenticator> logger)
    {
        var store = new CredentialStore(dataSources);
        sessions = new SessionCookieAuthenticator(options.Value, store, timeProvider);
        bearer = new BearerTokenAuthenticator(options.Value.Jwt, store, timeProvider);
        this.logger = logger;
    }

    public async Task<AuthenticationResult> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (HasBearerHeader(request, out var token))
        {
            return Logged(Caller.BearerMethod, token is null
                ? new Rejected(RejectionReasons.MalformedAuthorization)
                : await bearer.AuthenticateAsync(token, cancellationToken));
        }
        if (sessions.ReadCookie(request) is { } cookie)
        {
            return Logged(Caller.SessionMethod, await sessions.AuthenticateAsync(cookie, cancellationToken));
        }
        return new NoCredentials();
    }

    private AuthenticationResult Logged(string method, AuthenticationResult result)
    {
        if (result is Rejected rejected)
        {
            logger.Log(RejectionReasons.IsRoutine(rejected.Reason) ? LogLevel.Information : LogLevel.Warning,
                "Rejected {Method} credential: {Reason}", method, rejected.Reason);
        }
        return result;
    }

    /// <summary>
    /// Whether the request names the Bearer scheme (case-insensitive, RFC 9110; other schemes are not
    /// ours and fall through to the cookie), and its one non-empty token, else null.
    /// </summary>
    private static bool HasBearerHeader(HttpRequest request, out string? token)
    {
        var bearerHeaders = request.Headers.Authorization
            .Where(value => value is not null
                && value.StartsWith(BearerScheme, StringComparison.OrdinalIgnoreCase)
                && (value.Length == BearerScheme.Length || value[BearerScheme.Length] == ' '))
            .ToList();
        token = bearerHeaders.Count == 1 && bearerHeaders[0]![BearerScheme.Length..].Trim() is { Length: > 0 } single ? single : null;
        return bearerHeaders.Count > 0;
    }
}
