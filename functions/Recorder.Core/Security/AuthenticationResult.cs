namespace Recorder.Core.Security;

/// <summary>The outcome of <see cref="RequestAuthenticator.AuthenticateAsync"/>: one of the three nested records.</summary>
public abstract record AuthenticationResult
{
    private AuthenticationResult()
    {
    }

    public sealed record Authenticated(Caller Caller) : AuthenticationResult;

    /// <summary>The request carried neither a bearer token nor the session cookie.</summary>
    public sealed record NoCredentials : AuthenticationResult;

    /// <summary>
    /// A credential was presented and refused. <paramref name="Reason"/> is
    /// one of <see cref="RejectionReasons"/>: for logs only, never for clients.
    /// </summary>
    public sealed record Rejected(string Reason) : AuthenticationResult;
}

/// <summary>Reason codes of <see cref="AuthenticationResult.Rejected"/>. They name what failed, never the credential.</summary>
public static class RejectionReasons
{
    public const string UnsignedCookie = "unsigned cookie";
    public const string BadSignature = "bad signature";
    public const string UnknownSession = "unknown session";
    public const string ExpiredSession = "expired session";
    public const string SessionWithoutUser = "session without user";
    public const string UnknownUser = "unknown user";
    public const string InactiveUser = "inactive user";
    public const string BearerNotConfigured = "bearer tokens not configured";
    public const string MalformedAuthorization = "malformed authorization header";
    public const string MalformedToken = "malformed token";
    public const string BadTokenSignature = "bad token signature";
    public const string TokenExpired = "token expired";
    public const string TokenNotYetValid = "token not yet valid";
    public const string TokenWithoutExpiry = "token without expiry";
    public const string WrongIssuer = "wrong issuer";
    public const string WrongAudience = "wrong audience";
    public const string TokenWithoutSubject = "token without subject";
    public const string DuplicateClaim = "duplicate claim";
    public const string InvalidToken = "invalid token";

    // Ordinary ends of a credential's life, as opposed to forged or mangled ones (logged as warnings).
    private static readonly HashSet<string> Routine = [UnknownSession, ExpiredSession, UnknownUser, InactiveUser, TokenExpired];

    internal static bool IsRoutine(string reason) => Routine.Contains(reason);
}
