using Microsoft.Extensions.Options;

namespace Recorder.Core.Security;

/// <summary>
/// Fails start-up on settings under which authentication could never succeed or would be weak.
/// Messages name the setting, never its value.
/// </summary>
public sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        var jwt = options.Jwt;

        if (options.SessionSecrets.Count == 0 && !jwt.IsConfigured)
        {
            failures.Add(
                "Auth: no caller can ever be authenticated. Set Auth:SessionSecrets (the main app's express-session secrets) " +
                "and/or Auth:Jwt:HmacSecret or Auth:Jwt:RsaPublicKeys.");
        }
        if (string.IsNullOrWhiteSpace(options.SessionCookieName))
        {
            failures.Add("Auth:SessionCookieName must not be empty.");
        }
        for (var i = 0; i < options.SessionSecrets.Count; i++)
        {
            if (string.IsNullOrEmpty(options.SessionSecrets[i]))
            {
                failures.Add($"Auth:SessionSecrets:{i} is empty.");
            }
        }
        if (FindTimeZone(options.SessionTimeZone) is null)
        {
            failures.Add("Auth:SessionTimeZone must be an IANA time zone id (e.g. \"UTC\", \"America/New_York\") known to this machine.");
        }

        if (jwt.HmacSecret is { Length: > 0 } secret && !JwtKeys.IsStrongHmacSecret(secret))
        {
            failures.Add($"Auth:Jwt:HmacSecret is shorter than {JwtKeys.MinimumHmacSecretBytes} bytes (HS256 needs a 256-bit key).");
        }
        for (var i = 0; i < jwt.RsaPublicKeys.Count; i++)
        {
            using var key = JwtKeys.ReadRsaPublicKey(jwt.RsaPublicKeys[i]);
            if (key is null)
            {
                failures.Add(
                    $"Auth:Jwt:RsaPublicKeys:{i} is not a PEM \"PUBLIC KEY\" (SubjectPublicKeyInfo) " +
                    $"RSA key of at least {JwtKeys.MinimumRsaKeyBits} bits.");
            }
        }
        if (jwt.IsConfigured && (string.IsNullOrWhiteSpace(jwt.Issuer) || string.IsNullOrWhiteSpace(jwt.Audience)))
        {
            // Without them a token the main app minted for another service would be accepted here.
            failures.Add("Auth:Jwt:Issuer and Auth:Jwt:Audience are required when a JWT key is configured.");
        }
        if (jwt.ClockSkewSeconds is < 0 or > 600)
        {
            failures.Add("Auth:Jwt:ClockSkewSeconds must be between 0 and 600.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The zone, or null. With InvariantGlobalization only IANA ids resolve (from the OS time zone database).</summary>
    internal static TimeZoneInfo? FindTimeZone(string id)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception exception) when (exception is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            return null;
        }
    }
}
