using System.Buffers.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using static Recorder.Core.Security.AuthenticationResult;

namespace Recorder.Core.Security;

/// <summary>
/// JWTs from the main app: HS256 or RS256 only, with <c>sub</c>, <c>exp</c>, <c>iss</c> and <c>aud</c> required,
/// and no member named twice in the header or the payload.
/// </summary>
internal sealed class BearerTokenAuthenticator
{
    private readonly JsonWebTokenHandler handler = new();
    private readonly TokenValidationParameters parameters;
    private readonly CredentialStore store;

    public BearerTokenAuthenticator(JwtOptions options, CredentialStore store, TimeProvider timeProvider)
    {
        this.store = store;
        IsConfigured = options.IsConfigured;
        parameters = new TokenValidationParameters
        {
            IssuerSigningKeys = JwtKeys.Load(options),
            // A key verifies only its own family (a symmetric key HS256, an RSA key RS256), so listing
            // both here allows no algorithm confusion. Any other algorithm, "none" included, finds no
            // key and fails as a bad signature.
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256, SecurityAlgorithms.RsaSha256],
            RequireSignedTokens = true,
            ValidIssuer = options.Issuer,
            ValidAudience = options.Audience,
            // IdentityModel 8's own clock hook (TokenValidationParameters.TimeProvider) is internal, so
            // the lifetime rules are applied here against the injected clock.
            LifetimeValidator = (notBefore, expires, _, _) => ValidateLifetime(notBefore, expires, timeProvider.GetUtcNow().UtcDateTime,
                TimeSpan.FromSeconds(options.ClockSkewSeconds)),
            // Failures are reported (by reason code) through the result; IdentityModel need not log them too.
            LogValidationExceptions = false,
        };
    }

    public bool IsConfigured { get; }

    public async Task<AuthenticationResult> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        if (!IsConfigured)
        {
            return new Rejected(RejectionReasons.BearerNotConfigured);
        }
        var result = await handler.ValidateTokenAsync(token, parameters);
        if (!result.IsValid)
        {
            return new Rejected(Describe(result.Exception));
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        // IdentityModel keeps the last of two members of one name, so {"sub":"a","sub":"b"} would act as b
        // while another reader of the same token sees a: a token that says two things is refused.
        if (HasDuplicateMember(jwt.EncodedHeader) || HasDuplicateMember(jwt.EncodedPayload))
        {
            return new Rejected(RejectionReasons.DuplicateClaim);
        }
        if (!jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Sub, out var userId) || string.IsNullOrEmpty(userId))
        {
            return new Rejected(RejectionReasons.TokenWithoutSubject);
        }
        jwt.TryGetPayloadValue<string>("scope", out var scope);

        // The token may outlive the account: a deactivated or deleted user's tokens stop working at once.
        var user = await store.FindUserAsync(userId, cancellationToken);
        return user.Rejection is { } rejection
            ? new Rejected(rejection)
            : new Authenticated(new Caller(userId, RecordingScopes.Parse(scope), Caller.BearerMethod));
    }

    private static readonly JsonDocumentOptions NoDuplicates = new() { AllowDuplicateProperties = false };

    /// <summary>Whether a base64url JSON part of a validated token names a member twice in any object (names compared unescaped).</summary>
    private static bool HasDuplicateMember(string encodedPart)
    {
        try
        {
            using var _ = JsonDocument.Parse(Base64Url.DecodeFromChars(encodedPart), NoDuplicates);
            return false;
        }
        catch (JsonException)
        {
            return true;
        }
    }

    // Throws the exceptions IdentityModel's own check throws, so Describe tells the cases apart.
    private static bool ValidateLifetime(DateTime? notBefore, DateTime? expires, DateTime now, TimeSpan clockSkew)
    {
        if (expires is null)
        {
            throw new SecurityTokenNoExpirationException();
        }
        if (notBefore > expires)
        {
            throw new SecurityTokenInvalidLifetimeException();
        }
        if (notBefore > now + clockSkew)
        {
            throw new SecurityTokenNotYetValidException();
        }
        if (expires < now - clockSkew)
        {
            throw new SecurityTokenExpiredException();
        }
        return true;
    }

    private static string Describe(Exception exception) => exception switch
    {
        SecurityTokenExpiredException => RejectionReasons.TokenExpired,
        SecurityTokenNotYetValidException => RejectionReasons.TokenNotYetValid,
        SecurityTokenNoExpirationException => RejectionReasons.TokenWithoutExpiry,
        SecurityTokenInvalidIssuerException => RejectionReasons.WrongIssuer,
        SecurityTokenInvalidAudienceException => RejectionReasons.WrongAudience,
        SecurityTokenInvalidSignatureException => RejectionReasons.BadTokenSignature,
        SecurityTokenMalformedException or ArgumentException => RejectionReasons.MalformedToken,
        _ => RejectionReasons.InvalidToken,
    };
}
