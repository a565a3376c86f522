namespace Recorder.Core.Security;

/// <summary>
/// How HTTP callers prove who they are (bound from section "Auth"); checked at start-up by <see cref="AuthOptionsValidator"/>.
/// </summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>The main app's express-session cookie.</summary>
    public string SessionCookieName { get; set; } = "connect.sid";

    /// <summary>
    /// The main app's express-session secrets. Any of them verifies a cookie (the app signs with
    /// its first), so a rotated-out secret stays here until its sessions have expired. Empty
    /// disables the session cookie.
    /// </summary>
    public List<string> SessionSecrets { get; set; } = [];

    /// <summary>
    /// IANA time zone of the main app's PostgreSQL sessions: connect-pg-simple writes
    /// <c>sessions.expire</c> (a timestamp without time zone) as wall-clock time in it.
    /// </summary>
    public string SessionTimeZone { get; set; } = "UTC";

    public JwtOptions Jwt { get; set; } = new();
}

/// <summary>Bearer tokens (JWTs) issued by the main app (section "Auth:Jwt").</summary>
public sealed class JwtOptions
{
    /// <summary>HS256 secret; its UTF-8 bytes are the key, as Node's jsonwebtoken uses a string secret.</summary>
    public string? HmacSecret { get; set; }

    /// <summary>RS256 verification keys, PEM "BEGIN PUBLIC KEY" (SubjectPublicKeyInfo).</summary>
    public List<string> RsaPublicKeys { get; set; } = [];

    /// <summary>Required <c>iss</c>; must be set when a key is.</summary>
    public string? Issuer { get; set; }

    /// <summary>Required <c>aud</c>; must be set when a key is.</summary>
    public string? Audience { get; set; }

    /// <summary>Tolerance for <c>exp</c> and <c>nbf</c> against the issuer's clock.</summary>
    public int ClockSkewSeconds { get; set; } = 60;

    public bool IsConfigured => !string.IsNullOrEmpty(HmacSecret) || RsaPublicKeys.Count > 0;
}
