using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Recorder.Core.Security;
using Recorder.Testing;
using Xunit;
using static Recorder.Core.Security.AuthenticationResult;

namespace Recorder.Core.Tests.Security;

/// <summary>JWT bearer tokens from the main app, HS256 and RS256, against real <c>users</c> rows.</summary>
public sealed class BearerTokenAuthenticationTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>, IDisposable
{
    private const string HmacSecret = "an HS256 secret of at least thirty-two bytes";
    private const string Issuer = "https://app.example.test";
    private const string Audience = "recorder-functions";

    // Far from the real date: a token that is only valid at this time proves the injected clock is used.
    private static readonly DateTimeOffset Now = new(2031, 1, 15, 12, 0, 0, TimeSpan.Zero);

    private readonly AppTables tables = new(database);
    private readonly RSA rsa = RSA.Create(2048);
    private readonly RSA otherRsa = RSA.Create(2048);

    [Fact]
    public async Task Accepts_an_hs256_token_and_parses_its_scopes()
    {
        var userId = await tables.InsertUserAsync();
        await using var auth = Authenticator();

        var result = await auth.AuthenticateAsync(Bearer(Jwts.Hs256(Claims(userId, scope: "recordings:read recordings:delete profile unknown:scope"), HmacSecret)));

        var caller = Assert.IsType<Authenticated>(result).Caller;
        Assert.Equal((userId, Caller.BearerMethod), (caller.UserId, caller.Method));
        Assert.Equal([RecordingScopes.Delete, RecordingScopes.Read], caller.Scopes.Order());
        Assert.Empty(auth.Logger.Entries);
    }

    [Fact]
    public async Task Accepts_an_rs256_token_from_any_configured_key()
    {
        var userId = await tables.InsertUserAsync();
        await using var auth = Authenticator(jwt => jwt.RsaPublicKeys = [otherRsa.ExportSubjectPublicKeyInfoPem(), rsa.ExportSubjectPublicKeyInfoPem()]);

        var result = await auth.AuthenticateAsync(Bearer(Jwts.Rs256(Claims(userId, scope: RecordingScopes.Write), rsa)));

        var caller = Assert.IsType<Authenticated>(result).Caller;
        Assert.Equal(userId, caller.UserId);
        Assert.Equal([RecordingScopes.Write], caller.Scopes);
    }

    [Fact]
    public async Task A_token_without_known_scopes_authenticates_with_none()
    {
        var userId = await tables.InsertUserAsync();
        await using var auth = Authenticator();

        var result = await auth.AuthenticateAsync(Bearer(Jwts.Hs256(Claims(userId, scope: null), HmacSecret)));

        Assert.Empty(Assert.IsType<Authenticated>(result).Caller.Scopes);
    }

    [Fact]
    public async Task The_scheme_name_is_case_insensitive()
    {
        var userId = await tables.InsertUserAsync();
        await using var auth = Authenticator();

        var result = await auth.AuthenticateAsync(Requests.With(authorization: "bearer " + Jwts.Hs256(Claims(userId), HmacSecret)));

        Assert.Equal(userId, Assert.IsType<Authenticated>(result).Caller.UserId);
    }

    [Fact]
    public async Task Refuses_a_bad_signature()
    {
        var userId = await tables.InsertUserAsync();
        await using var auth = Authenticator(jwt => jwt.RsaPublicKeys = [rsa.ExportSubjectPublicKeyInfoPem()]);
        var valid = Jwts.Hs256(Claims(userId), HmacSecret);

        Assert.Equal(new Rejected(RejectionReasons.BadTokenSignature), await auth.AuthenticateAsync(Bearer(Jwts.Hs256(Claims(userId), HmacSecret + "!"))));
        Assert.Equal(new Rejected(RejectionReasons.BadTokenSignature), await auth.AuthenticateAsync(Bearer(Jwts.Rs256(Claims(userId), otherRsa))));
        Assert.Equal(new Rejected(RejectionReasons.BadTokenSignature), await auth.AuthenticateAsync(Bearer(valid[..^2] + (valid[^2] == 'A' ? "B" : "A") + valid[^1])));
    }

    [Fact]
    public async Task Refuses_an_expired_token_beyond_the_clock_skew()
    {
        var userId = await tables.InsertUserAsync();
        await using var auth = Authenticator();

        var withinSkew = Jwts.Hs256(Claims(userId, expires: Now.AddSeconds(-30)), HmacSecret);
        var expired = Jwts.Hs256(Claims(userId, expires: Now.AddSeconds(-61)), HmacSecret);

        Assert.IsType<Authenticated>(await auth.AuthenticateAsync(Bearer(withinSkew)));
        Assert.Equal(new Rejected(RejectionReasons.TokenExpired), await auth.AuthenticateAsync(Bearer(expired)));
    }

    [Fact]
    public async Task Refuses_a_token_that_is_not_yet_valid()
    {
        var userId = await tables.InsertUserAsync();
        await using var auth = Authenticator(jwt => jwt.ClockSkewSeconds = 0);

        var result = await auth.AuthenticateAsync(Bearer(Jwts.Hs256(Claims(userId, notBefore: Now.AddSeconds(1)), HmacSecret)));

        Assert.Equal(new Rejected(RejectionReasons.TokenNotYetValid), result);
    }

    [Fact]
    public async Task Refuses_a_token_without_expiry()
    {
        var userId = await tables.InsertUserAsync();
        await using var auth = Authenticator();

        var token = Jwts.Hs256(new Dictionary<string, object> { ["sub"] = userId, ["iss"] = Issuer, ["aud"] = Audience }, HmacSecret);

        Assert.Equal(new Rejected(RejectionReasons.TokenWithoutExpiry), await auth.AuthenticateAsync(Bearer(token)));
    }

    [Fact]
    public async Task Refuses_the_wrong_audience_or_issuer()
    {
        var userId = await tables.InsertUserAsync();
        await using var auth = Authenticator();

        Assert.Equal(new Rejected(RejectionReasons.WrongAudience), await auth.AuthenticateAsync(Bearer(Jwts.Hs256(Claims(userId, audience: "another-service"), HmacSecret))));
        Assert.Equal(new Rejected(RejectionReasons.WrongAudience), await auth.AuthenticateAsync(Bearer(Jwts.Hs256(Claims(userId, audience: null), HmacSecret))));
        Assert.Equal(new Rejected(RejectionReasons.WrongIssuer), await auth.AuthenticateAsync(Bearer(Jwts.Hs256(Claims(userId, issuer: "https://evil.example.test"), HmacSecret))));
        Assert.Equal(new Rejected(RejectionReasons.WrongIssuer), await auth.AuthenticateAsync(Bearer(Jwts.Hs256(Claims(userId, issuer: null), HmacSecret))));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task Refuses_a_token_without_subject(string? subject)
    {
        await using var auth = Authenticator();

        Assert.Equal(new Rejected(RejectionReasons.TokenWithoutSubject), await auth.AuthenticateAsync(Bearer(Jwts.Hs256(Claims(subject), HmacSecret))));
    }

    [Fact]
    public async Task Refuses_an_unsigned_token()
    {
        var userId = await tables.InsertUserAsync();
        await using var auth = Authenticator(jwt => jwt.RsaPublicKeys = [rsa.ExportSubjectPublicKeyInfoPem()]);

        var result = await auth.AuthenticateAsync(Bearer(Jwts.Unsigned(Claims(userId))));

        Assert.Equal(new Rejected(RejectionReasons.BadTokenSignature), result);
    }

    [Fact]
    public async Task Refuses_other_algorithms_even_with_the_right_key()
    {
        var userId = await tables.InsertUserAsync();
        await using var auth = Authenticator();

        var result = await auth.AuthenticateAsync(Bearer(Jwts.Hmac("HS512", Claims(userId), Encoding.UTF8.GetBytes(HmacSecret))));

        Assert.Equal(new Rejected(RejectionReasons.BadTokenSignature), result);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Refuses_an_hs256_token_keyed_with_the_rsa_public_key(bool hmacConfiguredToo)
    {
        var userId = await tables.InsertUserAsync();
        var publicKeyPem = rsa.ExportSubjectPublicKeyInfoPem();
        await using var auth = Authenticator(jwt =>
        {
            jwt.HmacSecret = hmacConfiguredToo ? HmacSecret : null;
            jwt.RsaPublicKeys = [publicKeyPem];
        });

        foreach (var key in new[] { Encoding.UTF8.GetBytes(publicKeyPem), rsa.ExportSubjectPublicKeyInfo(), rsa.ExportRSAPublicKey() })
        {
            var result = await auth.AuthenticateAsync(Bearer(Jwts.Hmac("HS256", Claims(userId), key)));
            Assert.Equal(new Rejected(RejectionReasons.BadTokenSignature), result);
        }
    }

    [Fact]
    public async Task Refuses_an_inactive_or_missing_user()
    {
        var inactive = await tables.InsertUserAsync(isActive: false);
        var nullActive = await tables.InsertUserAsync(isActive: null);
        await using var auth = Authenticator();

        Assert.Equal(new Rejected(RejectionReasons.InactiveUser), await auth.AuthenticateAsync(Bearer(Jwts.Hs256(Claims(inactive), HmacSecret))));
        Assert.Equal(new Rejected(RejectionReasons.UnknownUser), await auth.AuthenticateAsync(Bearer(Jwts.Hs256(Claims("no-such-user-" + Guid.NewGuid().ToString("N")), HmacSecret))));
        Assert.IsType<Authenticated>(await auth.AuthenticateAsync(Bearer(Jwts.Hs256(Claims(nullActive), HmacSecret))));
    }

    [Theory]
    [InlineData("Bearer")]
    [InlineData("Bearer    ")]
    public async Task Refuses_an_empty_bearer_header(string authorization)
    {
        await using var auth = Authenticator();

        Assert.Equal(new Rejected(RejectionReasons.MalformedAuthorization), await auth.AuthenticateAsync(Requests.With(authorization: authorization)));
    }

    [Fact]
    public async Task Refuses_two_bearer_tokens()
    {
        var userId = await tables.InsertUserAsync();
        await using var auth = Authenticator();
        var token = Jwts.Hs256(Claims(userId), HmacSecret);
        var request = Requests.With();
        request.Headers.Authorization = new Microsoft.Extensions.Primitives.StringValues(["Bearer " + token, "Bearer " + token]);

        Assert.Equal(new Rejected(RejectionReasons.MalformedAuthorization), await auth.AuthenticateAsync(request));
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.b.c")]
    public async Task Refuses_garbage(string token)
    {
        await using var auth = Authenticator();

        Assert.Equal(new Rejected(RejectionReasons.MalformedToken), await auth.AuthenticateAsync(Bearer(token)));
    }

    [Fact]
    public async Task A_bad_token_is_refused_even_beside_a_valid_session_cookie()
    {
        var userId = await tables.InsertUserAsync();
        var sid = Requests.NewSid();
        await tables.InsertSessionAsync(sid, AppTables.ReplitSess(userId), Now.UtcDateTime.AddDays(1));
        await using var auth = Authenticator(configureAll: options => options.SessionSecrets = ["session secret"]);
        var cookie = Requests.SessionCookie(sid, "session secret");

        Assert.Equal(Caller.SessionMethod, Assert.IsType<Authenticated>(await auth.AuthenticateAsync(Requests.With(cookie: cookie))).Caller.Method);
        var result = await auth.AuthenticateAsync(Requests.With(cookie: cookie, authorization: "Bearer " + Jwts.Hs256(Claims(userId), "a forged secret of thirty-two bytes or more")));
        Assert.Equal(new Rejected(RejectionReasons.BadTokenSignature), result);
    }

    [Fact]
    public async Task A_token_naming_its_subject_twice_is_refused_not_taken_as_the_second()
    {
        var signedFor = await tables.InsertUserAsync();
        var smuggled = await tables.InsertUserAsync();
        await using var auth = Authenticator();

        var result = await auth.AuthenticateAsync(Bearer(WithExtraMember(Claims(signedFor), "sub", $"\"{smuggled}\"")));

        Assert.Equal(new Rejected(RejectionReasons.DuplicateClaim), result);
    }

    [Theory]
    [InlineData("iss", "\"" + Issuer + "\"")]
    [InlineData("aud", "\"" + Audience + "\"")]
    [InlineData("exp", "1926248400")] // Now + 1 h
    [InlineData("nbf", "0")]
    [InlineData("scope", "\"recordings:read recordings:write recordings:delete\"")]
    [InlineData("scp", "\"recordings:delete\"")]
    [InlineData("s\\u0075b", "\"someone-else\"")] // "sub" escaped: names are compared as the reader sees them
    public async Task A_token_repeating_any_claim_is_refused(string name, string valueJson)
    {
        var userId = await tables.InsertUserAsync();
        var claims = Claims(userId);
        claims["scp"] = "recordings:read";
        await using var auth = Authenticator();

        Assert.Equal(new Rejected(RejectionReasons.DuplicateClaim), await auth.AuthenticateAsync(Bearer(WithExtraMember(claims, name, valueJson))));
    }

    [Fact]
    public async Task A_member_named_twice_in_a_nested_claim_or_in_the_header_is_refused()
    {
        var userId = await tables.InsertUserAsync();
        await using var auth = Authenticator();
        var payload = JsonSerializer.Serialize(Claims(userId));

        var nested = Jwts.Hs256Json(Header, payload[..^1] + ""","act":{"sub":"a","sub":"b"}}""", HmacSecret);
        var header = Jwts.Hs256Json("""{"alg":"HS256","typ":"JWT","typ":"at+jwt"}""", payload, HmacSecret);

        Assert.Equal(new Rejected(RejectionReasons.DuplicateClaim), await auth.AuthenticateAsync(Bearer(nested)));
        Assert.Equal(new Rejected(RejectionReasons.DuplicateClaim), await auth.AuthenticateAsync(Bearer(header)));
        Assert.Equal((LogLevel.Warning, "Rejected bearer credential: duplicate claim"), auth.Logger.Entries[0]);
    }

    [Fact]
    public async Task A_forged_token_with_a_repeated_claim_is_refused_for_its_signature()
    {
        var userId = await tables.InsertUserAsync();
        await using var auth = Authenticator();
        var payload = JsonSerializer.Serialize(Claims(userId));

        var forged = Jwts.Hs256Json(Header, payload[..^1] + ""","sub":"x"}""", "a forged secret of thirty-two bytes or more");

        Assert.Equal(new Rejected(RejectionReasons.BadTokenSignature), await auth.AuthenticateAsync(Bearer(forged)));
    }

    [Fact]
    public async Task Refuses_bearer_tokens_when_none_are_configured()
    {
        var userId = await tables.InsertUserAsync();
        await using var auth = new TestAuthenticator(database, new AuthOptions { SessionSecrets = ["session secret"] }, Now);

        Assert.Equal(new Rejected(RejectionReasons.BearerNotConfigured), await auth.AuthenticateAsync(Bearer(Jwts.Hs256(Claims(userId), HmacSecret))));
    }

    [Fact]
    public async Task Logs_rejections_by_reason_and_never_the_token()
    {
        var userId = await tables.InsertUserAsync();
        await using var auth = Authenticator();
        var expired = Jwts.Hs256(Claims(userId, expires: Now.AddHours(-1)), HmacSecret);
        var forged = Jwts.Hs256(Claims(userId), "a forged secret of thirty-two bytes or more");

        await auth.AuthenticateAsync(Bearer(expired));
        await auth.AuthenticateAsync(Bearer(forged));

        Assert.Equal<(LogLevel, string)>(
            [
                (LogLevel.Information, "Rejected bearer credential: token expired"),
                (LogLevel.Warning, "Rejected bearer credential: bad token signature"),
            ],
            auth.Logger.Entries);
    }

    public void Dispose()
    {
        rsa.Dispose();
        otherRsa.Dispose();
    }

    private const string Header = """{"alg":"HS256","typ":"JWT"}""";

    private static Microsoft.AspNetCore.Http.HttpRequest Bearer(string token) => Requests.With(authorization: "Bearer " + token);

    /// <summary>An HS256 token of <paramref name="claims"/> with one more member, written after them: a serializer writes no such JSON.</summary>
    private static string WithExtraMember(Dictionary<string, object> claims, string name, string valueJson)
    {
        var payload = JsonSerializer.Serialize(claims);
        return Jwts.Hs256Json(Header, $"{payload[..^1]},\"{name}\":{valueJson}}}", HmacSecret);
    }

    private static Dictionary<string, object> Claims(
        string? subject,
        string? scope = RecordingScopes.Read,
        DateTimeOffset? expires = null,
        DateTimeOffset? notBefore = null,
        string? issuer = Issuer,
        string? audience = Audience)
    {
        var claims = new Dictionary<string, object>
        {
            ["iat"] = Jwts.Epoch(Now.AddHours(-2)),
            ["nbf"] = Jwts.Epoch(notBefore ?? Now.AddHours(-2)),
            ["exp"] = Jwts.Epoch(expires ?? Now.AddMinutes(15)),
        };
        if (subject is not null)
        {
            claims["sub"] = subject;
        }
        if (scope is not null)
        {
            claims["scope"] = scope;
        }
        if (issuer is not null)
        {
            claims["iss"] = issuer;
        }
        if (audience is not null)
        {
            claims["aud"] = audience;
        }
        return claims;
    }

    private TestAuthenticator Authenticator(Action<JwtOptions>? configure = null, Action<AuthOptions>? configureAll = null)
    {
        var options = new AuthOptions { Jwt = new JwtOptions { HmacSecret = HmacSecret, Issuer = Issuer, Audience = Audience } };
        configure?.Invoke(options.Jwt);
        configureAll?.Invoke(options);
        return new TestAuthenticator(database, options, Now);
    }
}
